"""MP169 R169-13: when a device becomes Restricted, its DSP schedules (5.1) of SRVs a restricted device may not take
are removed and each schedule's owner gets a ``DSPScheduleRemoval`` DCC alert (DUIS ``DCCAlertMessage``, 5.4
schema) in its DCC alert log - in the restriction's own transaction, through every restriction entry point (the
device page, REST, the bulk job, the service itself; DUIS creates the schedules and reads them after)."""
from __future__ import annotations

import pytest
from lxml import etree

from gateway.dcc_alerts import DSP_SCHEDULE_REMOVAL_ALERT_CODE
from gateway.duis.schema import duis_schema
from gateway.models import DccAlert, DspSchedule
from inventory.choices import RestrictionChannel
from inventory.models import RestrictionChange
from inventory.services.restriction import restriction_set
from inventory.services.restriction_bulk import restriction_bulk_job_submit
from portal.errors import RuleRefused
from tests.factories import NetworkOperatorFactory, make_sms
from tests.gateway.test_duis_schedules import DAILY_READ, PREPAY_LOG, SR, answer, code, create, request

SET = {"restricted": True, "reason": "Consumer refused remote collection", "attested": True}


@pytest.fixture
def hrth(duis_identities):
    return duis_identities[0]


@pytest.fixture
def sender(duis_sender, hrth):
    return duis_sender(hrth)


@pytest.fixture
def home(hrth):
    """HRTH's commissioned credit SMS, with a DSP schedule of 4.6.1 (daily read log: consumption) and one of 4.14
    (prepayment daily read log: allowed to a restricted device) on the electricity meter, made over DUIS."""
    return make_sms(supplier=hrth, network_operator=NetworkOperatorFactory())


@pytest.fixture
def schedules(sender, home):
    meter = home["ESME"].device_id
    assert code(answer(sender.post(create(meter, srv="4.6.1", payload=DAILY_READ)))) == "I0"
    assert code(answer(sender.post(create(meter, srv="4.14", payload=PREPAY_LOG)))) == "I0"
    return {s.scheduled_srv: s for s in DspSchedule.objects.all()}


def assert_removed_and_alerted(schedules, owner) -> DccAlert:
    consumption, allowed = DspSchedule.objects.get(pk=schedules["4.6.1"].pk), DspSchedule.objects.get(
        pk=schedules["4.14"].pk)
    assert consumption.removed_at is not None and consumption.removal_reason == DspSchedule.Removal.RESTRICTED
    assert allowed.removed_at is None
    alert = DccAlert.objects.get()
    assert (alert.party, alert.alert_type, alert.dcc_alert_code, alert.device_id, alert.schedule_id) == (
        owner, "DSPScheduleRemoval", DSP_SCHEDULE_REMOVAL_ALERT_CODE, consumption.device.device_id, consumption.pk)
    document = etree.fromstring(alert.message_xml.encode())
    assert duis_schema().validate(document), duis_schema().error_log
    removal = document.find(f"{SR}Body/{SR}DCCAlertMessage/{SR}DCCAlert/{SR}DSPScheduleRemoval")
    assert (removal.findtext(f"{SR}DeviceID"), removal.findtext(f"{SR}DSPScheduleID")) == (
        consumption.device.device_id, str(consumption.pk))
    assert document.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None  # signed by the DSP (RD-4)
    return alert


def test_service_removes_restricted_srv_schedules_and_alerts_the_owner(hrth, home, schedules, make_user):
    restriction_set(device=home["ESME"], actor=make_user(hrth), channel=RestrictionChannel.WEB, **SET)
    alert = assert_removed_and_alerted(schedules, hrth)
    assert alert.created_at == RestrictionChange.objects.get().at  # same moment: the same transaction


def test_device_page_restriction_removes_them(client, hrth, home, schedules, make_user):
    client.force_login(make_user(hrth))
    response = client.post(f"/inventory/devices/{home['ESME'].device_id}/restriction/", {
        "restricted": "true", "reason_choice": "Consumer refused remote collection of consumption data",
        "all_reasonable_steps_taken": "on"})
    assert response.status_code == 302
    assert_removed_and_alerted(schedules, hrth)


def test_rest_restriction_removes_them(api_client_for, hrth, home, schedules):
    response = api_client_for(hrth).post(f"/api/v1/devices/{home['ESME'].device_id}/restriction/", {
        "restricted": True, "reason": "Consumer refused", "all_reasonable_steps_taken": True}, format="json")
    assert response.status_code == 200, response.content
    assert_removed_and_alerted(schedules, hrth)


def test_bulk_restriction_removes_them(hrth, home, schedules, make_user):
    job = restriction_bulk_job_submit(rows=[{"device_id": home["ESME"].device_id, "restricted": "true",
                                             "reason": "Consumer refused", "all_reasonable_steps_taken": "true"}],
                                      actor=make_user(hrth))
    job.refresh_from_db()
    assert job.applied_count == 1
    assert_removed_and_alerted(schedules, hrth)


def test_duis_read_schedule_after_restriction_shows_only_the_allowed_one(sender, hrth, home, schedules, make_user):
    restriction_set(device=home["ESME"], actor=make_user(hrth), channel=RestrictionChannel.API, **SET)
    read = answer(sender.post(request("5.2", f"<sr:ReadSchedule><sr:DeviceID>{home['ESME'].device_id}</sr:DeviceID>"
                                             "</sr:ReadSchedule>")))
    assert [entry.findtext(f"{SR}DSPScheduleDetails/{SR}DSPScheduledServiceReferenceVariant")
            for entry in read.iter(f"{SR}DSPSchedules")] == ["4.14"]


def test_a_refused_restriction_removes_nothing_and_sends_nothing(hrth, home, schedules, make_user):
    with pytest.raises(RuleRefused):
        restriction_set(device=home["ESME"], actor=make_user(hrth), channel=RestrictionChannel.WEB,
                        **{**SET, "attested": False})
    assert not DspSchedule.objects.filter(removed_at__isnull=False).exists()
    assert not DccAlert.objects.exists() and not RestrictionChange.objects.exists()


def test_clearing_restores_nothing_and_sends_nothing(hrth, home, schedules, make_user):
    actor = make_user(hrth)
    restriction_set(device=home["ESME"], actor=actor, channel=RestrictionChannel.WEB, **SET)
    restriction_set(device=home["ESME"], actor=actor, channel=RestrictionChannel.WEB, restricted=False,
                    reason="Consumer withdrew their refusal", attested=False)
    assert DccAlert.objects.count() == 1  # only the removal at the set
    assert DspSchedule.objects.get(pk=schedules["4.6.1"].pk).removed_at is not None  # removed stays removed


def test_the_gas_proxy_that_follows_its_meter_loses_its_schedules_too(sender, hrth, home, make_user):
    assert code(answer(sender.post(create(home["GPF"].device_id, srv="4.6.1", payload=DAILY_READ)))) == "I0"
    restriction_set(device=home["GSME"], actor=make_user(hrth), channel=RestrictionChannel.WEB, **SET)
    assert DccAlert.objects.get().device_id == home["GPF"].device_id


def test_if_the_alert_cannot_be_written_the_restriction_is_rolled_back(hrth, home, schedules, make_user,
                                                                       monkeypatch):
    from gateway import dcc_alerts

    def broken(**_):
        raise ValueError("DCC alert store unavailable")

    monkeypatch.setattr(dcc_alerts, "dcc_alert_schedule_removal_send", broken)
    with pytest.raises(ValueError):
        restriction_set(device=home["ESME"], actor=make_user(hrth), channel=RestrictionChannel.WEB, **SET)
    home["ESME"].refresh_from_db()
    assert home["ESME"].restricted is False and not RestrictionChange.objects.exists()
    assert not DspSchedule.objects.filter(removed_at__isnull=False).exists()


def test_the_owner_sees_its_dcc_alerts_and_another_supplier_does_not(client, hrth, home, schedules, make_user,
                                                                    other_supplier, dcc_user):
    restriction_set(device=home["ESME"], actor=make_user(hrth), channel=RestrictionChannel.WEB, **SET)
    client.force_login(make_user(hrth))
    page = client.get("/gateway/alerts/dcc/")
    assert page.status_code == 200 and [row.device_id for row in page.context["rows"]] == [home["ESME"].device_id]
    assert "DSPScheduleRemoval" in page.content.decode()
    client.force_login(make_user(other_supplier))
    assert client.get("/gateway/alerts/dcc/").context["rows"] == []
    client.force_login(dcc_user)
    assert len(client.get("/gateway/alerts/dcc/").context["rows"]) == 1
