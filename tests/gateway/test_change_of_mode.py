"""MP169 R169-14 (seed 000 s3.1): restricted mode is for credit customers, so SRV 1.6 Update Payment Mode switching a
restricted meter to prepayment is refused with E72 and the reason - through REST and DUIS - and the device page and
REST device view say why. A switch to credit, or any switch on a meter that is not restricted, is accepted."""
from __future__ import annotations

import pytest
from django.utils import timezone

from gateway.models import ServiceRequestLog
from inventory.choices import PaymentMode
from inventory.services.restriction import payment_mode_change_refusal
from tests.duis_samples import duis
from tests.factories import DeviceFactory, make_sms
from tests.gateway.test_duis_schedules import answer, code

PREPAYMENT = ("<sr:UpdatePaymentMode><sr:Prepayment><sr:SuspendDebtDisabled>false</sr:SuspendDebtDisabled>"
              "<sr:SuspendDebtEmergency>false</sr:SuspendDebtEmergency><sr:DisablementThreshold>0"
              "</sr:DisablementThreshold></sr:Prepayment></sr:UpdatePaymentMode>")
CREDIT = "<sr:UpdatePaymentMode><sr:Credit/></sr:UpdatePaymentMode>"


def update_payment_mode(device_id: str, body: str) -> bytes:
    return duis("4.1.1", {
        "00-DB-12-34-56-78-90-A0:1000": f"{device_id}:1000",
        "<sr:CommandVariant>1<": "<sr:CommandVariant>4<",
        "<sr:ServiceReference>4.1<": "<sr:ServiceReference>1.6<",
        "<sr:ServiceReferenceVariant>4.1.1<": "<sr:ServiceReferenceVariant>1.6<",
        "<sr:ReadInstantaneousImportRegisters/>": body,
    })


@pytest.fixture
def restricted(supplier):
    return DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())


def test_the_rule(restricted, supplier):
    refusal = payment_mode_change_refusal(device=restricted, payment_mode=PaymentMode.PREPAYMENT)
    assert refusal.code == "restricted_prepayment_refused" and "credit customers" in refusal.detail
    assert payment_mode_change_refusal(device=restricted, payment_mode=PaymentMode.CREDIT) is None
    assert payment_mode_change_refusal(device=DeviceFactory(responsible_supplier=supplier),
                                       payment_mode=PaymentMode.PREPAYMENT) is None


def test_rest_switch_to_prepayment_on_a_restricted_meter_is_e72_with_the_reason(api_client_for, supplier, restricted):
    client = api_client_for(supplier)
    response = client.post("/api/v1/service-requests/", {"srv": "1.6", "device_id": restricted.device_id,
                                                         "command_variant": 4, "payment_mode": "Prepayment"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["response_code"] == "E72"
    assert "cannot be switched to prepayment" in response.json()["detail"]
    assert ServiceRequestLog.objects.get().response_code == "E72"
    credit = client.post("/api/v1/service-requests/", {"srv": "1.6", "device_id": restricted.device_id,
                                                       "command_variant": 4, "payment_mode": "Credit"}, format="json")
    assert credit.json()["response_code"] == "I99"


def test_rest_switch_on_a_meter_that_is_not_restricted_is_accepted(api_client_for, supplier):
    meter = DeviceFactory(responsible_supplier=supplier)
    response = api_client_for(supplier).post("/api/v1/service-requests/", {
        "srv": "1.6", "device_id": meter.device_id, "command_variant": 4, "payment_mode": "Prepayment"}, format="json")
    assert response.json()["response_code"] == "I99"


def test_rest_1_6_without_the_mode_is_400_and_not_logged(api_client_for, supplier, restricted):
    response = api_client_for(supplier).post("/api/v1/service-requests/", {
        "srv": "1.6", "device_id": restricted.device_id, "command_variant": 4}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "detail", "errors"} and "payment_mode" in body["errors"]
    assert not ServiceRequestLog.objects.exists()


def test_duis_switch_to_prepayment_on_a_restricted_meter_is_e72(duis_identities, duis_sender):
    hrth = duis_identities[0]
    meter = make_sms(supplier=hrth)["ESME"]
    meter.restricted, meter.restricted_since = True, timezone.now()
    meter.save()
    sender = duis_sender(hrth)
    assert code(answer(sender.post(update_payment_mode(meter.device_id, PREPAYMENT)))) == "E72"
    logged = ServiceRequestLog.objects.get()
    assert (logged.srv, logged.response_code, logged.restricted_at_request) == ("1.6", "E72", True)
    assert "cannot be switched to prepayment" in logged.detail
    assert code(answer(sender.post(update_payment_mode(meter.device_id, CREDIT)))) == "I99"


def test_device_page_and_rest_device_view_say_why(client, make_user, api_client_for, supplier, restricted):
    client.force_login(make_user(supplier))
    page = client.get(f"/inventory/devices/{restricted.device_id}/").content.decode()
    assert 'id="prepayment-refusal"' in page and "cannot be switched to prepayment" in page
    detail = api_client_for(supplier).get(f"/api/v1/devices/{restricted.device_id}/").json()
    assert detail["prepayment_refusal"]["code"] == "restricted_prepayment_refused"
    meter = DeviceFactory(responsible_supplier=supplier)
    assert api_client_for(supplier).get(f"/api/v1/devices/{meter.device_id}/").json()["prepayment_refusal"] is None
    assert 'id="prepayment-refusal"' not in client.get(f"/inventory/devices/{meter.device_id}/").content.decode()
