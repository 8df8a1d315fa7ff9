"""``{% restriction_panel device %}``: the MP169 panel on the device page (state, form, history).

Owned by the MP169 work; the device page only includes the tag.
"""
from django import template

register = template.Library()


@register.inclusion_tag("inventory/_restriction_panel.html", takes_context=True)
def restriction_panel(context, device):
    return {"device": device, "request": context.get("request")}
