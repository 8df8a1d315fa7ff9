"""Issue 14's findings where two correct actions combined into a wrong one: a supplier changing another
supplier's gas proxy through join + cascade, SRVs smuggled inside 5.1 Create Schedule, and a pre-notifying
or losing supplier keeping sight of a meter it no longer supplies. Each test failed before its fix."""
from __future__ import annotations

import pytest
from django.utils import timezone

from gateway.models import ServiceRequestLog
from gateway.services import service_request_submit
from inventory.choices import DeviceStatus, DeviceType, RestrictionChannel
from inventory.models import Device, RestrictionChange
from inventory.selectors import device_queryset_for, restriction_history_for
from inventory.services.devices import device_join_hub
from inventory.services.restriction import restriction_check, restriction_set
from inventory.services.supplier_changes import supplier_change_record
from portal.errors import PermissionDenied
from portal.models import OutboxMessage
from tests.duis_samples import duis
from tests.factories import DeviceFactory, NetworkOperatorFactory, OtherUserFactory, SupplierFactory, make_sms

pytestmark = pytest.mark.django_db

REASON = "Consumer refused remote collection of consumption data"


@pytest.fixture
def hrth(db):
    return SupplierFactory(code="HRTH", name="Hearth Energy")


@pytest.fixture
def brkw(db):
    return SupplierFactory(code="BRKW", name="Brook & Weir")


def _restrict(device, user, restricted=True):
    return restriction_set(device=device, actor=user, restricted=restricted, reason=REASON, attested=True,
                           channel=RestrictionChannel.API)


# --- Critical: another supplier's gas proxy changed through join + cascade -------------------------

def test_supplier_cannot_join_its_commissioned_gsme_to_another_suppliers_hub(api_client_for, hrth, brkw):
    own = make_sms(supplier=hrth)
    theirs = make_sms(supplier=brkw)
    client = api_client_for(hrth)
    response = client.post(f"/api/v1/devices/{own['GSME'].device_id}/join/",
                           {"hub_id": theirs["CHF"].device_id}, format="json")
    assert response.status_code in (404, 409), response.content
    own["GSME"].refresh_from_db()
    assert own["GSME"].hub == own["CHF"]
    # Restricting its own gas meter still cascades only to its own gas proxy.
    _restrict(own["GSME"], client.user)
    theirs["GPF"].refresh_from_db()
    own["GPF"].refresh_from_db()
    assert (own["GPF"].restricted, theirs["GPF"].restricted) == (True, False)


def test_join_to_a_hub_of_an_sms_the_caller_has_no_part_in_is_answered_as_unknown(api_client_for, hrth, brkw):
    pending_gsme = DeviceFactory(device_type=DeviceType.GSME, status=DeviceStatus.PENDING, hub=None,
                                 responsible_supplier=hrth)
    theirs = make_sms(supplier=brkw)
    response = api_client_for(hrth).post(f"/api/v1/devices/{pending_gsme.device_id}/join/",
                                         {"hub_id": theirs["CHF"].device_id}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "hub_not_found"
    pending_gsme.refresh_from_db()
    assert pending_gsme.hub is None


def test_the_service_refuses_a_join_into_a_strangers_sms_whatever_the_entry_point(make_user, hrth, brkw):
    pending_gsme = DeviceFactory(device_type=DeviceType.GSME, status=DeviceStatus.PENDING, hub=None,
                                 responsible_supplier=hrth)
    theirs = make_sms(supplier=brkw)
    with pytest.raises(PermissionDenied) as refused:
        device_join_hub(actor=make_user(hrth), device=pending_gsme, hub=theirs["CHF"])
    assert refused.value.code == "join_hub_not_yours"
    pending_gsme.refresh_from_db()
    assert pending_gsme.hub is None and pending_gsme.status == DeviceStatus.PENDING


def test_gas_supplier_of_a_dual_fuel_premises_joins_the_shared_hub_and_restricts_its_own_gas_proxy(make_user, hrth,
                                                                                                      brkw):
    """Electricity from BRKW, gas from HRTH: the hub is BRKW's, its GPF HRTH's. HRTH may join its GSME."""
    sms = make_sms(supplier=brkw, gas=False)
    gpf = DeviceFactory(device_type=DeviceType.GPF, hub=sms["CHF"], responsible_supplier=hrth, mpxn="",
                        csp_region=sms["CHF"].csp_region)
    gsme = DeviceFactory(device_type=DeviceType.GSME, status=DeviceStatus.PENDING, hub=None, responsible_supplier=hrth)
    user = make_user(hrth)
    device_join_hub(actor=user, device=gsme, hub=sms["CHF"])
    Device.objects.filter(pk=gsme.pk).update(status=DeviceStatus.COMMISSIONED)
    gsme.refresh_from_db()
    _restrict(gsme, user)
    for device in (gsme, gpf, sms["ESME"]):
        device.refresh_from_db()
    assert (gsme.restricted, gpf.restricted, sms["ESME"].restricted) == (True, True, False)


def test_restriction_refused_whole_when_the_cascade_would_touch_another_suppliers_gas_proxy(make_user, hrth, brkw):
    """However the SMS got that way (data from before the join fix, a DCC correction), a cascade never
    changes a device the actor could not change directly: the whole change is refused, nothing written."""
    theirs = make_sms(supplier=brkw)
    intruder = DeviceFactory(device_type=DeviceType.GSME, hub=theirs["CHF"], responsible_supplier=hrth,
                             csp_region=theirs["CHF"].csp_region)
    user = make_user(hrth)
    with pytest.raises(PermissionDenied) as refused:
        restriction_check(device=intruder, actor=user)
    assert refused.value.code == "cascade_not_responsible_supplier"
    with pytest.raises(PermissionDenied):
        _restrict(intruder, user)
    intruder.refresh_from_db()
    theirs["GPF"].refresh_from_db()
    assert (intruder.restricted, theirs["GPF"].restricted) == (False, False)
    assert not RestrictionChange.objects.exists() and not OutboxMessage.objects.exists()


def test_brkw_keeps_reading_its_gas_proxy_after_a_refused_cascade(make_user, hrth, brkw):
    theirs = make_sms(supplier=brkw)
    intruder = DeviceFactory(device_type=DeviceType.GSME, hub=theirs["CHF"], responsible_supplier=hrth)
    with pytest.raises(PermissionDenied):
        _restrict(intruder, make_user(hrth))
    outcome = service_request_submit(party=brkw, user=make_user(brkw), srv="4.1.1",
                                     device_id=theirs["GPF"].device_id, command_variant=1, channel="api")
    assert outcome.response_code != "E72"


# --- High: SRVs smuggled inside 5.1 Create Schedule -------------------------------------------------

def _schedule(party, device, scheduled_srv, user=None):
    return service_request_submit(party=party, user=user, srv="5.1", device_id=device.device_id, command_variant=8,
                                  channel="api", body={"scheduled_srv": scheduled_srv})


def test_other_user_cannot_schedule_an_srv_it_may_not_send(hrth):
    clrs = OtherUserFactory(code="CLRS")
    meter = make_sms(supplier=hrth)["ESME"]
    outcome = _schedule(clrs, meter, "4.6.1")  # Retrieve Import Daily Read Log: suppliers only
    assert outcome.response_code == "E2" and "schedule of SRV 4.6.1" in outcome.detail
    assert _schedule(clrs, meter, "4.8.1").response_code == "I0"  # 4.8.1 is open to Other Users


def test_network_operator_cannot_schedule_a_supplier_srv_on_a_meter_of_its_network(hrth):
    ennw = NetworkOperatorFactory(code="ENNW")
    meter = make_sms(supplier=hrth, network_operator=ennw)["ESME"]
    assert _schedule(ennw, meter, "4.6.1").response_code == "E2"
    assert _schedule(ennw, meter, "4.8.1").response_code == "I0"


def test_supplier_cannot_schedule_on_another_suppliers_meter(hrth, brkw):
    meter = make_sms(supplier=brkw)["ESME"]
    assert _schedule(hrth, meter, "4.6.1").response_code == "E4"
    assert _schedule(brkw, meter, "4.6.1").response_code == "I0"


@pytest.mark.parametrize("scheduled_srv", ["7.2", "1.1.1", "4.1.1", "11.2", "5.1"])
def test_only_srvs_the_dsp_may_schedule_are_accepted_in_a_schedule(api_client_for, hrth, scheduled_srv):
    meter = make_sms(supplier=hrth)["ESME"]
    response = api_client_for(hrth).post("/api/v1/service-requests/", {
        "srv": "5.1", "device_id": meter.device_id, "command_variant": 8, "scheduled_srv": scheduled_srv,
    }, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_scheduled_srv"
    assert "4.6.1" in response.json()["detail"]  # the message lists what may be scheduled
    assert not ServiceRequestLog.objects.exists()


CREATE_SCHEDULE_BODY = """<sr:CreateSchedule>
      <sr:ScheduleFrequency>Daily</sr:ScheduleFrequency>
      <sr:ScheduleStartDate>2026-12-02</sr:ScheduleStartDate>
      <sr:DSPScheduledServiceReference>4.6</sr:DSPScheduledServiceReference>
      <sr:DSPScheduledServiceReferenceVariant>4.6.1</sr:DSPScheduledServiceReferenceVariant>
      <sr:DeviceID>{device_id}</sr:DeviceID>
      <sr:DSPRetrieveImportDailyReadLog>
        <sr:StartDateOffset>-1</sr:StartDateOffset><sr:StartTime>00:00:00</sr:StartTime>
        <sr:EndDateOffset>0</sr:EndDateOffset><sr:EndTime>00:00:00</sr:EndTime>
      </sr:DSPRetrieveImportDailyReadLog>
    </sr:CreateSchedule>"""


def test_duis_create_schedule_from_an_other_user_is_judged_by_the_scheduled_srv(
        duis_sender, hrth, demo_identities):
    from lxml import etree

    clrs = OtherUserFactory(code="CLRS")
    meter = make_sms(supplier=hrth)["ESME"]
    request = duis("4.1.1", {
        "<sr:CommandVariant>1</sr:CommandVariant>": "<sr:CommandVariant>8</sr:CommandVariant>",
        "<sr:ServiceReference>4.1</sr:ServiceReference>": "<sr:ServiceReference>5.1</sr:ServiceReference>",
        "<sr:ServiceReferenceVariant>4.1.1</sr:ServiceReferenceVariant>":
            "<sr:ServiceReferenceVariant>5.1</sr:ServiceReferenceVariant>",
        "<sr:ReadInstantaneousImportRegisters/>": CREATE_SCHEDULE_BODY.format(device_id=meter.device_id),
    })
    # Issue 16: CLRS signs with its own Other User User ID. The role check now belongs to the originator (RD-1):
    # its User ID's role may not send (a schedule of) 4.6.1, so E1 where the unsigned request got E2.
    identity = demo_identities(clrs, "90-B3-D5-1F-30-0C-00-01", "OU")
    response = duis_sender(clrs).post(request, identity=identity)
    assert response.status_code == 200, response.content
    code = etree.fromstring(response.content).findtext(
        "{http://www.dccinterface.co.uk/ServiceUserGateway}Header/{http://www.dccinterface.co.uk/ServiceUserGateway}"
        "ResponseCode")
    assert code == "E1"
    assert "a schedule of SRV 4.6.1" in ServiceRequestLog.objects.get(srv="5.1").detail


# --- Medium: a pre-notifying or losing supplier keeps sight forever ---------------------------------

def test_prenotifier_sees_a_device_only_until_it_is_commissioned_under_another_supplier(make_user, hrth, brkw):
    meter = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, prenotifying_supplier=hrth,
                          responsible_supplier=brkw, hub=None)
    assert device_queryset_for(hrth).filter(pk=meter.pk).exists()  # it may still need the install code (MP121)
    Device.objects.filter(pk=meter.pk).update(status=DeviceStatus.COMMISSIONED)
    assert not device_queryset_for(hrth).filter(pk=meter.pk).exists()
    assert device_queryset_for(brkw).filter(pk=meter.pk).exists()


def test_losing_supplier_loses_pages_api_and_extracts_after_change_of_supplier(api_client_for, client, make_user,
                                                                              dcc_party, hrth, brkw):
    sms = make_sms(supplier=hrth)
    gsme = sms["GSME"]
    _restrict(gsme, make_user(hrth))
    supplier_change_record(device=gsme, new_supplier=brkw, actor=make_user(dcc_party))
    losing = api_client_for(hrth)
    assert losing.get(f"/api/v1/devices/{gsme.device_id}/").status_code == 404
    assert losing.get(f"/api/v1/devices/{gsme.device_id}/restriction-history/").status_code == 404
    listed = losing.get(f"/api/v1/devices/?responsible_supplier={brkw.pk}").json()["results"]
    assert listed == []
    extract = b"".join(losing.get("/api/v1/devices/extract/?format=csv").streaming_content).decode()
    cells = {cell for line in extract.splitlines() for cell in line.split(",")}
    assert gsme.device_id not in cells and gsme.mpxn not in cells  # whole cells: an MPRN is a tail of some MPANs
    client.force_login(losing.user)
    assert client.get(f"/inventory/devices/{gsme.device_id}/").status_code == 404
    gaining = api_client_for(brkw)
    assert gaining.get(f"/api/v1/devices/{gsme.device_id}/").json()["restricted"] is True


def test_losing_supplier_reads_no_history_recorded_after_the_change(make_user, dcc_party, hrth, brkw):
    """While a losing supplier may still see a device (its pre-notifier, before commissioning), the history
    it reads stops at the Change of Supplier: the gaining supplier's users and reasons stay private."""
    sms = make_sms(supplier=hrth)
    gsme = sms["GSME"]
    _restrict(gsme, make_user(hrth))
    supplier_change_record(device=gsme, new_supplier=brkw, actor=make_user(dcc_party))
    gsme.refresh_from_db()
    restriction_set(device=gsme, actor=make_user(brkw, "brkw-analyst"), restricted=False,
                    reason="Change of tenancy: new occupier at BRKW", attested=False, channel=RestrictionChannel.API)
    after = timezone.now()
    gsme.refresh_from_db()
    hrth_rows = list(restriction_history_for(gsme, hrth))
    assert [row.new_value for row in hrth_rows] == [True]
    assert all(row.at < after and row.party == hrth for row in hrth_rows)
    assert [row.new_value for row in restriction_history_for(gsme, brkw)] == [False, True]
    assert restriction_history_for(gsme, SupplierFactory(code="NEVR")).count() == 0
    assert restriction_history_for(gsme, dcc_party).count() == 2


def test_an_sms_takes_no_second_gas_meter_so_gsme_and_gpf_keep_one_flag(make_user, hrth):
    """Found by the model-based test: a second GSME joined to a hub whose GPF follows a restricted GSME would
    disagree with that GPF once commissioned."""
    sms = make_sms(supplier=hrth)
    second = DeviceFactory(device_type=DeviceType.GSME, status=DeviceStatus.PENDING, hub=None, responsible_supplier=hrth)
    with pytest.raises(Exception) as refused:
        device_join_hub(actor=make_user(hrth), device=second, hub=sms["CHF"])
    assert getattr(refused.value, "code", "") == "join_sms_has_one"
    second.refresh_from_db()
    assert second.hub is None
