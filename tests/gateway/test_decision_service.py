"""The gateway's decision service: DUIS response codes, the order of checks, MP169 limits (R169-8)."""
import pytest

from gateway.body_handlers import register_body_handler, unregister_body_handler
from gateway.checks import Refusal, register_device_check, unregister_device_check
from gateway.choices import Channel
from gateway.models import ServiceRequestLog
from gateway.services import allow_list_srv_set, service_request_submit
from inventory.choices import DeviceStatus, DeviceType
from portal.errors import ValidationFailed
from tests.factories import DeviceFactory, NetworkOperatorFactory, make_sms


def submit(party, srv, device_id="", variant=1, **kwargs):
    return service_request_submit(party=party, user=None, srv=srv, device_id=device_id, command_variant=variant,
                                  channel=Channel.JSON, **kwargs)


@pytest.fixture
def meter(supplier):
    return DeviceFactory(responsible_supplier=supplier)


@pytest.fixture
def restricted_meter(supplier):
    from django.utils import timezone
    return DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())


def test_device_srv_to_a_commissioned_device_is_acknowledged_i99_and_logged(supplier, meter):
    outcome = submit(supplier, "4.1.1", meter.device_id)
    assert outcome.response_code == "I99"
    row = ServiceRequestLog.objects.get(request_id=outcome.request_id)
    assert (row.srv, row.device_id, row.response_code, row.party_id) == ("4.1.1", meter.device_id, "I99", supplier.pk)
    assert row.srv_category == "consumption" and row.restricted_at_request is False
    assert row.csp_region == meter.csp_region and row.channel == "json"


def test_non_device_srv_is_answered_i0(supplier):
    assert submit(supplier, "8.2", variant=8).response_code == "I0"


def test_unknown_device_is_e19_and_logged(supplier):
    outcome = submit(supplier, "4.1.1", "00-DB-FF-FF-FF-FF-FF-FF")
    assert outcome.response_code == "E19" and "not in the SMI" in outcome.detail
    assert ServiceRequestLog.objects.filter(device_id="00-DB-FF-FF-FF-FF-FF-FF", response_code="E19").exists()


def test_role_not_eligible_for_the_srv_is_e2(meter):
    network_operator = NetworkOperatorFactory()  # ED: 4.4.2 is for IS and GS only
    outcome = submit(network_operator, "4.4.2", meter.device_id)
    assert outcome.response_code == "E2" and "IS, GS" in outcome.detail


def test_device_status_incompatible_is_e5(supplier):
    pending = DeviceFactory(responsible_supplier=supplier, status=DeviceStatus.PENDING)
    outcome = submit(supplier, "4.1.1", pending.device_id)
    assert outcome.response_code == "E5" and "Pending" in outcome.detail


def test_commissioning_srvs_accept_installed_not_commissioned_devices(supplier):
    hub = DeviceFactory(responsible_supplier=supplier, device_type=DeviceType.CHF,
                        status=DeviceStatus.INSTALLED_NOT_COMMISSIONED)
    assert submit(supplier, "8.11", hub.device_id).response_code == "I99"
    assert submit(supplier, "4.1.1", hub.device_id).response_code == "E5"


def test_command_variant_not_allowed_is_e12(supplier, meter):
    outcome = submit(supplier, "4.1.1", meter.device_id, variant=4)
    assert outcome.response_code == "E12" and "1, 2, 3" in outcome.detail


def test_consumption_srv_to_restricted_device_is_e72(supplier, restricted_meter):
    outcome = submit(supplier, "4.1.1", restricted_meter.device_id)
    assert outcome.response_code == "E72" and "Restricted" in outcome.detail
    assert ServiceRequestLog.objects.get(request_id=outcome.request_id).restricted_at_request is True


@pytest.mark.parametrize("srv, variant", [("11.1", 8), ("6.15.1", 4), ("6.11", 4), ("7.4", 1), ("8.11", 1)])
def test_firmware_security_clock_supply_and_commissioning_srvs_stay_allowed_when_restricted(
        supplier, restricted_meter, srv, variant):
    assert submit(supplier, srv, restricted_meter.device_id, variant=variant).response_code == "I99"


def test_checks_run_in_order_e19_e2_e5_e12_e72(supplier, restricted_meter):
    network_operator = NetworkOperatorFactory()
    # Everything wrong at once: the first failing check answers.
    assert submit(network_operator, "4.4.2", "00-DB-FF-FF-FF-FF-FF-FE", variant=4).response_code == "E19"
    restricted_meter.status = DeviceStatus.SUSPENDED
    restricted_meter.save()
    assert submit(network_operator, "4.4.2", restricted_meter.device_id, variant=4).response_code == "E2"
    assert submit(supplier, "4.4.2", restricted_meter.device_id, variant=4).response_code == "E5"
    restricted_meter.status = DeviceStatus.COMMISSIONED
    restricted_meter.save()
    assert submit(supplier, "4.4.2", restricted_meter.device_id, variant=4).response_code == "E12"
    assert submit(supplier, "4.4.2", restricted_meter.device_id, variant=1).response_code == "E72"


def test_create_schedule_of_a_restricted_srv_is_refused_e72(supplier, restricted_meter, meter):
    outcome = submit(supplier, "5.1", restricted_meter.device_id, variant=8, body={"scheduled_srv": "4.6.1"})
    assert outcome.response_code == "E72" and "schedule of SRV 4.6.1" in outcome.detail
    assert submit(supplier, "5.1", restricted_meter.device_id, variant=8,
                  body={"scheduled_srv": "4.14"}).response_code == "I0"
    assert submit(supplier, "5.1", meter.device_id, variant=8, body={"scheduled_srv": "4.6.1"}).response_code == "I0"


def test_create_schedule_without_the_scheduled_srv_is_malformed(supplier, meter):
    with pytest.raises(ValidationFailed, match="scheduled_srv"):
        submit(supplier, "5.1", meter.device_id, variant=8)


@pytest.mark.parametrize("srv, device_id, variant, code", [
    ("99.9", "", 1, "unknown_srv"),
    ("4.1.1", "not-a-device", 1, "invalid_device_id"),
    ("4.1.1", "", 1, "device_id_required"),
    ("4.1.1", "00-DB-12-34-56-78-90-A0", 0, "invalid_command_variant"),
])
def test_malformed_requests_are_400_and_nothing_is_logged(supplier, srv, device_id, variant, code):
    with pytest.raises(ValidationFailed) as error:
        submit(supplier, srv, device_id, variant=variant)
    assert error.value.code == code
    assert not ServiceRequestLog.objects.exists()


def test_allow_list_edit_takes_effect_on_the_next_request(supplier, restricted_meter, dcc_user):
    assert submit(supplier, "4.1.1", restricted_meter.device_id).response_code == "E72"
    allow_list_srv_set(actor=dcc_user, srv="4.1.1", allowed=True, reason="trial")
    assert submit(supplier, "4.1.1", restricted_meter.device_id).response_code == "I99"
    allow_list_srv_set(actor=dcc_user, srv="11.2", allowed=False, reason="trial")
    assert submit(supplier, "11.2", restricted_meter.device_id).response_code == "E72"


def test_registered_device_check_runs_after_the_status_check(gateway_only, supplier, meter):
    seen = []

    def only_even(*, srv, device, party, body):
        seen.append(srv)
        return Refusal("E11", "Not for this device.")

    register_device_check("4.1", only_even)
    try:
        assert submit(supplier, "4.1.1", meter.device_id).response_code == "E11"
        assert submit(supplier, "4.11.1", meter.device_id).response_code == "I99"  # 4.11 is not under 4.1
        meter.status = DeviceStatus.PENDING
        meter.save()
        assert submit(supplier, "4.1.2", meter.device_id).response_code == "E5"
    finally:
        unregister_device_check("4.1", only_even)
    assert seen == ["4.1.1"]


def test_registered_body_handler_runs_for_accepted_requests_in_the_log_transaction(gateway_only, supplier):
    calls = []

    def handler(*, srv, body, party, user, device, request_id):
        calls.append((srv, body, device))
        return Refusal("E11", "Body refused.") if body.get("refuse") else None

    register_body_handler("12.2", handler)
    try:
        assert submit(supplier, "12.2", variant=8, body={"x": 1}).response_code == "I0"
        assert submit(supplier, "12.2", variant=8, body={"refuse": True}).response_code == "E11"
    finally:
        unregister_body_handler("12.2")
    assert [c[0] for c in calls] == ["12.2", "12.2"]


def test_decision_costs_a_fixed_number_of_queries(supplier, django_assert_max_num_queries):
    sms = make_sms(supplier=supplier)
    submit(supplier, "4.1.1", sms["ESME"].device_id)  # warm the per-process catalogue cache
    for device in sms.values():
        with django_assert_max_num_queries(2):  # device + allow-list in one SELECT, one INSERT
            submit(supplier, "6.2.4", device.device_id)
    with django_assert_max_num_queries(1):
        submit(supplier, "8.2", variant=8)
    meters = [sms["ESME"].device_id, sms["GSME"].device_id, sms["CHF"].device_id]
    with django_assert_max_num_queries(2):  # a whole DeviceIDList is read in the same one SELECT
        outcome = submit(supplier, "11.1", meters[0], variant=8, also_device_ids=meters[1:])
    assert outcome.response_code == "I99"
