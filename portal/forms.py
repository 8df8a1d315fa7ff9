from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, required=False, label="Token name",
        help_text="What the token is for, e.g. 'billing system'.",
    )
