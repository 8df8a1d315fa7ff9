"""R169-16: on Change of Supplier the gaining supplier is told which restricted meters it gained - an email
through the outbox in the CoS's transaction, and the home page's "needs your attention" card - with the reminder
that all reasonable steps must be retried (seed 001)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.choices import RestrictionChannel
from inventory.selectors import gained_restricted_for
from inventory.services.restriction import restriction_set
from inventory.services.supplier_changes import supplier_change_record
from portal.choices import OutboxKind
from portal.errors import PermissionDenied
from portal.models import OutboxMessage

SET = {"restricted": True, "reason": "Consumer refused", "attested": True, "channel": RestrictionChannel.WEB}


@pytest.fixture
def restricted_gsme(sms, supplier, make_user):
    restriction_set(device=sms["GSME"], actor=make_user(supplier), **SET)
    return sms["GSME"]


def gained_emails():
    return OutboxMessage.objects.filter(kind=OutboxKind.EMAIL, source__startswith="cos:")


def test_the_gaining_supplier_is_emailed_the_restricted_meters_it_gained(restricted_gsme, sms, other_supplier,
                                                                        dcc_user):
    changes = supplier_change_record(device=restricted_gsme, new_supplier=other_supplier, actor=dcc_user)
    (email,) = gained_emails()
    assert email.recipient == other_supplier.operational_email and email.party == other_supplier
    assert email.source == f"cos:{changes[0].pk}"
    assert restricted_gsme.device_id in email.body and sms["GPF"].device_id in email.body
    assert restricted_gsme.mpxn in email.body
    assert "retry all reasonable steps" in email.body
    assert email.payload["device_ids"] == [restricted_gsme.device_id, sms["GPF"].device_id]


def test_no_email_when_nothing_gained_is_restricted(sms, other_supplier, dcc_user):
    supplier_change_record(device=sms["ESME"], new_supplier=other_supplier, actor=dcc_user)
    assert not gained_emails().exists()


def test_a_refused_change_of_supplier_emails_nobody(restricted_gsme, other_supplier, supplier, make_user):
    with pytest.raises(PermissionDenied):
        supplier_change_record(device=restricted_gsme, new_supplier=other_supplier, actor=make_user(supplier))
    assert not gained_emails().exists() and gained_restricted_for(other_supplier) == []


def test_the_card_lists_gained_restricted_meters_while_the_party_still_supplies_them(
        restricted_gsme, sms, supplier, other_supplier, dcc_user):
    supplier_change_record(device=restricted_gsme, new_supplier=other_supplier, actor=dcc_user)
    assert [change.device.device_id for change in gained_restricted_for(other_supplier)] == [restricted_gsme.device_id]
    assert gained_restricted_for(supplier) == []  # the losing supplier is told nothing
    later = timezone.now() + dt.timedelta(days=31)
    assert gained_restricted_for(other_supplier, now=later) == []
    supplier_change_record(device=restricted_gsme, new_supplier=supplier, actor=dcc_user)  # lost again: off the card
    assert gained_restricted_for(other_supplier) == []
    assert [c.device.device_id for c in gained_restricted_for(supplier)] == [restricted_gsme.device_id]


def test_the_home_card_for_the_gaining_supplier_only(client, restricted_gsme, supplier, other_supplier, dcc_user,
                                                     make_user, network_operator):
    client.force_login(dcc_user)
    response = client.post(reverse("inventory:supplier-change", kwargs={"device_id": restricted_gsme.device_id}),
                           {"new_supplier": other_supplier.pk}, follow=True)
    assert "SUPB is now the Responsible Supplier" in response.content.decode()
    assert gained_emails().count() == 1

    client.force_login(make_user(other_supplier))
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="gained-restricted"' in html and restricted_gsme.device_id in html
    assert "you must retry all reasonable steps" in html
    client.force_login(make_user(supplier))
    html = client.get(reverse("home")).content.decode()
    assert restricted_gsme.device_id not in html and "None in the last 30 days" in html
    client.force_login(make_user(network_operator))
    assert 'data-testid="gained-restricted"' not in client.get(reverse("home")).content.decode()
