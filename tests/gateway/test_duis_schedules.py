"""DSP schedules over DUIS (issue 16 item 10): 5.1 Create Schedule stores the schedule and answers its
DSPScheduleID, 5.2 reads a party's schedules (``sr:DSPSchedulesRead``), 5.3 deletes them; and the MP169 hook
``dsp_schedules_remove_restricted`` (R169-13)."""
from __future__ import annotations

import pytest
from django.utils import timezone
from lxml import etree

from gateway.duis.schema import mp169_schema
from gateway.models import DspSchedule, RestrictedSrvAllowance, ServiceRequestLog
from gateway.schedules import dsp_schedule_create, dsp_schedules_remove_restricted
from tests.duis_samples import duis
from tests.factories import DeviceFactory

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"

SCHEDULE = """<sr:CreateSchedule>
      <sr:ScheduleFrequency>{frequency}</sr:ScheduleFrequency>
      <sr:ScheduleStartDate>2026-12-02</sr:ScheduleStartDate>
      <sr:ScheduleEndDate>2027-12-02</sr:ScheduleEndDate>
      <sr:DSPScheduledServiceReference>{reference}</sr:DSPScheduledServiceReference>
      <sr:DSPScheduledServiceReferenceVariant>{srv}</sr:DSPScheduledServiceReferenceVariant>
      <sr:DeviceID>{device_id}</sr:DeviceID>
      {payload}
    </sr:CreateSchedule>"""
DAILY_READ = ("<sr:DSPRetrieveImportDailyReadLog><sr:StartDateOffset>-1</sr:StartDateOffset>"
              "<sr:StartTime>00:00:00</sr:StartTime><sr:EndDateOffset>0</sr:EndDateOffset>"
              "<sr:EndTime>00:00:00</sr:EndTime></sr:DSPRetrieveImportDailyReadLog>")
PREPAY_LOG = DAILY_READ.replace("DSPRetrieveImportDailyReadLog", "DSPReadPrepaymentDailyReadLog")


def request(srv: str, body: str) -> bytes:
    reference = {"5.1": "5.1", "5.2": "5.2", "5.3": "5.3"}[srv]
    return duis("4.1.1", {
        "<sr:CommandVariant>1<": "<sr:CommandVariant>8<",
        "<sr:ServiceReference>4.1<": f"<sr:ServiceReference>{reference}<",
        "<sr:ServiceReferenceVariant>4.1.1<": f"<sr:ServiceReferenceVariant>{srv}<",
        "<sr:ReadInstantaneousImportRegisters/>": body,
    })


def create(device_id: str, *, srv: str = "4.6.1", payload: str = DAILY_READ, frequency: str = "Daily") -> bytes:
    reference = srv.rsplit(".", 1)[0] if srv.count(".") == 2 else srv
    return request("5.1", SCHEDULE.format(frequency=frequency, reference=reference, srv=srv, device_id=device_id,
                                          payload=payload))


def answer(response) -> etree._Element:
    assert response.status_code == 200, response.content
    document = etree.fromstring(response.content)
    assert mp169_schema().validate(document), mp169_schema().error_log  # E72 is the MP169 extension's
    return document


def code(document) -> str:
    return document.findtext(f"{SR}Header/{SR}ResponseCode")


@pytest.fixture
def hrth(duis_identities):
    return duis_identities[0]


@pytest.fixture
def sender(duis_sender, hrth):
    return duis_sender(hrth)


@pytest.fixture
def meter(hrth):
    return DeviceFactory(responsible_supplier=hrth)


def test_create_schedule_stores_it_and_answers_its_id(sender, hrth, meter):
    document = answer(sender.post(create(meter.device_id)))
    assert code(document) == "I0"
    schedule = DspSchedule.objects.get()
    assert document.findtext(f".//{SR}ResponseMessage/{SR}DSPScheduleID") == str(schedule.pk)
    assert (schedule.device, schedule.party, schedule.scheduled_srv, schedule.frequency, str(schedule.start_date),
            str(schedule.end_date), schedule.removed_at) == (meter, hrth, "4.6.1", "Daily", "2026-12-02",
                                                             "2027-12-02", None)


def test_read_schedule_by_id_and_by_device(sender, meter):
    first = answer(sender.post(create(meter.device_id)))
    answer(sender.post(create(meter.device_id, frequency="Weekly")))
    schedule_id = first.findtext(f".//{SR}DSPScheduleID")
    by_id = answer(sender.post(request("5.2", f"<sr:ReadSchedule><sr:DSPScheduleID>{schedule_id}</sr:DSPScheduleID>"
                                              "</sr:ReadSchedule>")))
    assert code(by_id) == "I0"
    read = by_id.findall(f".//{SR}DSPSchedulesRead/{SR}DSPSchedules")
    assert [r.findtext(f"{SR}DSPScheduleID") for r in read] == [schedule_id]
    assert read[0].findtext(f"{SR}DSPScheduleDetails/{SR}DSPScheduledServiceReferenceVariant") == "4.6.1"
    by_device = answer(sender.post(request("5.2", f"<sr:ReadSchedule><sr:DeviceID>{meter.device_id}</sr:DeviceID>"
                                                  "</sr:ReadSchedule>")))
    assert [d.findtext(f"{SR}DSPScheduleDetails/{SR}ScheduleFrequency")
            for d in by_device.iter(f"{SR}DSPSchedules")] == ["Daily", "Weekly"]


def test_another_partys_schedule_cannot_be_read_or_deleted(sender, duis_sender, duis_identities, demo_identities):
    from tests.factories import SupplierFactory

    other = SupplierFactory(code="BRKW")
    theirs = DeviceFactory(responsible_supplier=other)
    identity = demo_identities(other, "90-B3-D5-1F-30-0B-00-02", "IS")
    assert code(answer(duis_sender(other).post(create(theirs.device_id), identity=identity))) == "I0"
    schedule_id = DspSchedule.objects.get().pk
    read = request("5.2", f"<sr:ReadSchedule><sr:DSPScheduleID>{schedule_id}</sr:DSPScheduleID></sr:ReadSchedule>")
    delete = request("5.3", f"<sr:DeleteSchedule><sr:DSPScheduleID>{schedule_id}</sr:DSPScheduleID></sr:DeleteSchedule>")
    assert code(answer(sender.post(read))) == "E050201"
    assert code(answer(sender.post(delete))) == "E050301"
    assert DspSchedule.objects.get().removed_at is None


def test_delete_schedule_removes_it(sender, meter):
    schedule_id = answer(sender.post(create(meter.device_id))).findtext(f".//{SR}DSPScheduleID")
    delete = request("5.3", f"<sr:DeleteSchedule><sr:DSPScheduleID>{schedule_id}</sr:DSPScheduleID></sr:DeleteSchedule>")
    assert code(answer(sender.post(delete))) == "I0"
    schedule = DspSchedule.objects.get()
    assert schedule.removed_at is not None and schedule.removal_reason == "deleted"
    read = request("5.2", f"<sr:ReadSchedule><sr:DSPScheduleID>{schedule_id}</sr:DSPScheduleID></sr:ReadSchedule>")
    assert code(answer(sender.post(read))) == "E050201"
    assert code(answer(sender.post(delete))) == "E050301"


def test_a_refused_create_schedule_stores_nothing(sender, hrth):
    restricted = DeviceFactory(responsible_supplier=hrth, restricted=True, restricted_since=timezone.now())
    assert code(answer(sender.post(create(restricted.device_id)))) == "E72"  # 4.6.1 is consumption data
    assert not DspSchedule.objects.exists()
    assert ServiceRequestLog.objects.get().response_code == "E72"


def test_a_schedule_of_an_srv_the_dsp_may_not_schedule_is_refused_by_the_schema(sender, meter):
    # The signing tool itself refuses a schema-invalid request, so it goes with the sample's placeholder signature.
    document = answer(sender.post(create(meter.device_id, srv="4.1.1"), sign=False))
    assert code(document) == "E100" and not DspSchedule.objects.exists()


def test_remove_restricted_drops_only_schedules_of_srvs_a_restricted_device_may_not_take(hrth, meter):
    from lxml import etree as et

    def stored(srv: str, payload: str) -> DspSchedule:
        reference = srv.rsplit(".", 1)[0] if srv.count(".") == 2 else srv
        body = et.fromstring(SCHEDULE.format(frequency="Daily", reference=reference, srv=srv,
                                             device_id=meter.device_id, payload=payload)
                             .replace("<sr:CreateSchedule>", f'<sr:CreateSchedule xmlns:sr="{SR[1:-1]}">'))
        return dsp_schedule_create(party=hrth, user=None, device=meter, body=body)

    consumption = stored("4.6.1", DAILY_READ)
    prepayment_log = stored("4.14", PREPAY_LOG)
    assert not RestrictedSrvAllowance.objects.filter(srv_id="4.6.1").exists()
    assert RestrictedSrvAllowance.objects.filter(srv_id="4.14").exists()
    removed = dsp_schedules_remove_restricted(device=meter)
    assert [s.pk for s in removed] == [consumption.pk] and removed[0].removal_reason == "restricted"
    consumption.refresh_from_db()
    prepayment_log.refresh_from_db()
    assert consumption.removed_at is not None and prepayment_log.removed_at is None
    assert dsp_schedules_remove_restricted(device=meter) == []
