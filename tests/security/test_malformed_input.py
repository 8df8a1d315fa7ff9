"""Issue 14 "Trust at the edges": malformed input gets a clear 4xx - the API's JSON error shape
(``{"code", "detail", "errors"}``), or the page again with the message - never a 500, and it changes
nothing: no half-written bulk change, no audit row or CSP message for a request that was refused.

The shared mechanisms are tested through the endpoints that use them: the cursor decoder
(``portal.pagination``), the JSON parser (``portal.api.parsers``), the CSV reader (``portal.csv_upload``)
and the one check for text PostgreSQL cannot store (``portal.text``).
"""
from __future__ import annotations

import pytest

from incidents.models import IncidentNote
from incidents.services import incident_add_note, incident_raise_install_code_request
from inventory.choices import DeviceStatus, RestrictionChannel
from inventory.models import RestrictionBulkJob, RestrictionChange
from inventory.services.restriction import restriction_set
from portal.errors import ValidationFailed
from portal.models import OutboxMessage
from tests.factories import DeviceFactory, SupplierFactory, UserFactory, make_sms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def supplier_user(supplier):
    return UserFactory(party=supplier, username="malformed-supplier")


@pytest.fixture
def meters(supplier):
    return [make_sms(supplier=supplier, gas=False)["ESME"] for _ in range(2)]


def nothing_written() -> bool:
    return not (RestrictionChange.objects.exists() or OutboxMessage.objects.exists()
                or RestrictionBulkJob.objects.exists())


# --- 1. text PostgreSQL cannot store: refused up front, by one helper --------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("Consumer refused", None),
    ("Zoë's café \U0001F600", None),  # a real astral character is fine
    ("Consumer\x00refused", "NUL"),
    ("\udc00", "surrogate"),
    ("\ud83d", "surrogate"),  # half of an emoji
    ({"reason": ["ok", {"deep": "x\udfff"}]}, "surrogate"),
    ({"key\x00": "value"}, "NUL"),
    (["ok", 12, None, True], None),
])
def test_unstorable_text_is_recognised_anywhere_in_a_value(value, expected):
    from portal.text import unstorable_reason

    reason = unstorable_reason(value)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and expected in reason


@pytest.mark.parametrize("reason", ["\udc00 refused", "Consumer\x00refused"])
def test_restriction_set_refuses_a_reason_that_cannot_be_stored_and_writes_nothing(supplier_user, meters, reason):
    with pytest.raises(ValidationFailed) as refused:
        restriction_set(device=meters[0], actor=supplier_user, restricted=True, reason=reason, attested=True,
                        channel=RestrictionChannel.API)

    assert refused.value.code == "bad_characters" and "reason" in refused.value.errors
    assert nothing_written()


@pytest.fixture
def incident(supplier, supplier_user):
    installer = SupplierFactory(code="MALI")
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=supplier, prenotifying_supplier=installer)
    return incident_raise_install_code_request(device_id=device.device_id, actor=supplier_user)[0]


@pytest.mark.parametrize("body", ["Still \udc00 waiting", "Still\x00waiting"])
def test_a_note_that_cannot_be_stored_is_refused_and_writes_nothing(incident, supplier_user, body):
    notes_before = IncidentNote.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        incident_add_note(incident=incident, actor=supplier_user, body=body)

    assert refused.value.code == "bad_characters" and "body" in refused.value.errors
    assert IncidentNote.objects.count() == notes_before
