"""R169-16: on a Change of Supplier the gaining supplier is told which restricted meters it gained.

Seed 001 (April 2023 working group): "in a CoS event, the incoming Supplier would be able to see the flag but
would still be obliged to attempt all reasonable steps to have the consumer allow full Smart functionality".
So the flag is kept (R169-5) and the gaining supplier gets an email through the outbox, in the CoS's own
transaction, naming the restricted devices and reminding it to retry all reasonable steps. The home page's
"needs your attention" card lists the same meters (``inventory.selectors.gained_restricted_for``).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse

from inventory.models import SupplierChange
from portal.choices import OutboxKind
from portal.models import OutboxMessage
from portal.services import outbox_enqueue

logger = logging.getLogger(__name__)

REMINDER = ("You gained these meters with Restricted mode (MP169) set at the consumer's request. The flag is kept "
            "on Change of Supplier, but you must still retry all reasonable steps to have the consumer allow full "
            "smart functionality (SEC MP169; the supply licence's all reasonable steps obligation).")


def supplier_change_gained_notify(*, changes: list[SupplierChange]) -> OutboxMessage | None:
    """Email the gaining supplier the restricted devices among ``changes`` (one CoS), in the caller's
    transaction; None when none of them is restricted or the supplier has no operational address."""
    restricted = [change for change in changes if change.device.restricted]
    if not restricted:
        return None
    gaining = restricted[0].new_supplier
    if not gaining.operational_email:
        logger.warning("Gaining supplier %s has no operational email: restricted meters gained not emailed", gaining)
        return None
    base = settings.PORTAL_BASE_URL.rstrip("/")
    lines = [
        f"  {change.device.device_type} {change.device.device_id}"
        f"{f' (MPxN {change.device.mpxn})' if change.device.mpxn else ''}, restricted since "
        f"{change.device.restricted_since:%Y-%m-%d}: "
        f"{base}{reverse('inventory:device-detail', args=[change.device.device_id])}\n"
        for change in restricted
    ]
    body = (
        f"{gaining.name} ({gaining.code}) became Responsible Supplier on {restricted[0].at:%Y-%m-%d %H:%M} UTC of "
        f"{len(restricted)} restricted device(s):\n" + "".join(lines) + "\n" + REMINDER + "\n"
    )
    return outbox_enqueue(
        kind=OutboxKind.EMAIL, recipient=gaining.operational_email, party=gaining,
        subject=f"Restricted meters gained on Change of Supplier: {restricted[0].device.device_id}"[:200],
        body=body, payload={"event": "restricted_meters_gained", "supplier_change_ids": [c.pk for c in restricted],
                            "device_ids": [c.device.device_id for c in restricted]},
        source=f"cos:{restricted[0].pk}",
    )
