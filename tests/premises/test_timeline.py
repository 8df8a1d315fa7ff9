"""The premises timeline: one page per SMS answering "why isn't this meter talking?" - restriction changes,
supplier changes, hub replacements, alerts withheld to the diagnostics log, firmware requests and incidents,
newest first, each linked to its record, scoped per party (a losing supplier reads nothing recorded after the
Change of Supplier), keyset paged, from the existing tables."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gateway.choices import Channel
from gateway.models import AlertCode, DiagnosticsLogEntry, ServiceRequestLog
from gateway.services import alert_receive, service_request_submit
from incidents.services import incident_raise_install_code_request
from inventory.choices import CSPRegion, DeviceStatus, DeviceType, RestrictionChannel
from inventory.models import Device, RestrictionChange, SupplierChange
from inventory.services.hub_replacement import hub_replace
from inventory.services.restriction import restriction_set
from inventory.services.supplier_changes import supplier_change_record
from premises.selectors import sms_timeline
from tests.factories import DeviceFactory, HubFactory

SET = {"restricted": True, "reason": "Consumer refused", "attested": True, "channel": RestrictionChannel.WEB}

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def premises(sms, supplier, other_supplier, make_user, dcc_user, csp_north, settings):
    """Supplier A restricts the gas meter, sends a firmware request; a withheld alert; the DCC moves the meters to
    supplier B; B replaces the hub; B raises an install-code request for a PPMID A installed."""
    settings.GATEWAY_LOG_ASYNC_COMMIT = False
    a_user, b_user = make_user(supplier), make_user(other_supplier)
    ppmid = DeviceFactory(device_type=DeviceType.PPMID, hub=sms["CHF"], responsible_supplier=supplier,
                          status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                          csp_region=sms["CHF"].csp_region)
    restriction_set(device=sms["GSME"], actor=a_user, **SET)
    service_request_submit(party=supplier, user=a_user, srv="11.2", device_id=sms["GSME"].device_id,
                           command_variant=1, channel=Channel.JSON)
    withheld = AlertCode.objects.filter(restricted_allowance__isnull=True).order_by("code").first()
    alert_receive(party=csp_north, device_id=sms["GSME"].device_id, alert_code=withheld.code)
    for device in (sms["GSME"], sms["ESME"], sms["CHF"], ppmid):
        supplier_change_record(device=Device.objects.get(pk=device.pk), new_supplier=other_supplier, actor=dcc_user)
    new_hub = HubFactory(responsible_supplier=other_supplier, csp_region=CSPRegion.NORTH)
    DeviceFactory(device_type=DeviceType.GPF, hub=new_hub, mpxn="", responsible_supplier=other_supplier,
                  csp_region=CSPRegion.NORTH)
    hub_replace(actor=b_user, old_hub=Device.objects.get(pk=sms["CHF"].pk), new_hub=new_hub, reason="4G")
    service_request_submit(party=other_supplier, user=b_user, srv="11.2", device_id=sms["GSME"].device_id,
                           command_variant=1, channel=Channel.JSON)
    incident, _ = incident_raise_install_code_request(device_id=ppmid.device_id, actor=b_user)
    return {"a": a_user, "b": b_user, "new_hub": new_hub, "ppmid": ppmid, "incident": incident,
            "gsme": Device.objects.get(pk=sms["GSME"].pk)}


def sources(timeline) -> list[str]:
    return [event.source for event in timeline.events]


def test_the_dcc_reads_every_source_newest_first(premises, dcc_user):
    timeline = sms_timeline(user=dcc_user, device=premises["gsme"])
    assert set(sources(timeline)) == {"restriction", "supplier_change", "hub_replacement", "alert_withheld",
                                      "firmware", "incident"}
    times = [event.at for event in timeline.events]
    assert times == sorted(times, reverse=True)
    assert timeline.events[0].source == "incident" and timeline.hub == premises["new_hub"]
    assert sources(timeline).count("firmware") == 2 and sources(timeline).count("supplier_change") == 5  # + GPF
    hub_event = next(e for e in timeline.events if e.source == "hub_replacement")
    assert hub_event.url == reverse("inventory:device-detail", args=[premises["new_hub"].device_id])
    incident_event = timeline.events[0]
    assert incident_event.url == reverse("incidents:incident-detail", args=[premises["incident"].reference])


def test_the_gaining_supplier_reads_its_meters_history_but_not_the_diagnostics_log(premises, other_supplier):
    timeline = sms_timeline(user=premises["b"], device=premises["gsme"])
    assert "alert_withheld" not in sources(timeline)  # the diagnostics log is the DCC's and the CSPs'
    restricted = [e for e in timeline.events if e.source == "restriction"]
    assert [e.title for e in restricted if e.device_id == premises["gsme"].device_id] == ["Restricted mode set"]
    firmware = [e for e in timeline.events if e.source == "firmware"]
    assert len(firmware) == 1  # its own request; supplier A's is A's (the service-request log's scope)


def test_the_losing_supplier_reads_nothing_recorded_after_the_change(premises, supplier):
    # Supplier A still sees the PPMID it installed (not yet commissioned, MP121), so it can open the timeline...
    timeline = sms_timeline(user=premises["a"], device=Device.objects.get(pk=premises["ppmid"].pk))
    assert [device.device_id for device in timeline.devices] == [premises["ppmid"].device_id]
    lost_at = SupplierChange.objects.get(device=premises["ppmid"]).at
    assert timeline.events and all(event.at <= lost_at for event in timeline.events)
    # ... but not the gas meter's restriction, the hub replacement or B's incident, all after or not its device's.
    assert set(sources(timeline)) == {"supplier_change"}


def test_the_region_csp_reads_the_withheld_alerts(premises, csp_north, make_user):
    timeline = sms_timeline(user=make_user(csp_north), device=premises["gsme"])
    assert "alert_withheld" in sources(timeline) and "restriction" in sources(timeline)
    assert DiagnosticsLogEntry.objects.count() == 1


def test_keyset_pages_cover_every_event_once(premises, dcc_user):
    everything = sms_timeline(user=dcc_user, device=premises["gsme"], limit=200).events
    seen, cursor = [], None
    while True:
        page = sms_timeline(user=dcc_user, device=premises["gsme"], cursor=cursor, limit=3)
        seen += page.events
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [(e.source, e.pk) for e in seen] == [(e.source, e.pk) for e in everything]


def test_ties_in_time_keep_their_order_across_pages(sms, supplier, make_user, dcc_user):
    """Records of one instant (a GSME's change and its GPF's) are split between pages without loss."""
    restriction_set(device=sms["GSME"], actor=make_user(supplier), **SET)
    assert RestrictionChange.objects.values("at").distinct().count() == 1
    first = sms_timeline(user=dcc_user, device=sms["GSME"], limit=1)
    second = sms_timeline(user=dcc_user, device=sms["GSME"], cursor=first.next_cursor, limit=1)
    assert {first.events[0].pk, second.events[0].pk} == set(RestrictionChange.objects.values_list("pk", flat=True))
    assert second.next_cursor is None


def test_the_page_lists_the_events_with_links(client, premises, other_supplier):
    client.force_login(premises["b"])
    url = reverse("premises:timeline", args=[premises["gsme"].device_id])
    html = client.get(url).content.decode()
    assert "Premises timeline" in html and "Restricted mode set" in html and "Hub replaced" in html
    assert reverse("incidents:incident-detail", args=[premises["incident"].reference]) in html
    assert "(diagnostics log)" not in html
    assert client.get(url + "?cursor=nonsense").status_code == 400
    detail = client.get(reverse("inventory:device-detail", args=[premises["gsme"].device_id])).content.decode()
    assert url in detail


def test_the_page_and_api_are_404_outside_the_partys_inventory(client, api_client_for, premises, network_operator,
                                                               make_user):
    from tests.factories import SupplierFactory

    stranger = SupplierFactory()
    client.force_login(make_user(stranger))
    assert client.get(reverse("premises:timeline", args=[premises["gsme"].device_id])).status_code == 404
    api = api_client_for(stranger)
    response = api.get(f"/api/v1/premises/{premises['gsme'].device_id}/timeline/")
    assert response.status_code == 404 and set(response.json()) == {"code", "detail", "errors"}


def test_the_api_pages_with_next_links(api_client_for, premises, dcc_party):
    api = api_client_for(dcc_party)
    url = f"/api/v1/premises/{premises['gsme'].device_id}/timeline/?limit=4"
    rows = []
    while url:
        body = api.get(url).json()
        rows += body["results"]
        url = body["next"]
    assert len(rows) == len(sms_timeline(user=api.user, device=premises["gsme"], limit=200).events)
    assert {row["source"] for row in rows} >= {"restriction", "incident", "hub_replacement"}
    assert rows[0]["at"].endswith("Z") and rows[0]["url"].startswith("/")
    bad = api.get(f"/api/v1/premises/{premises['gsme'].device_id}/timeline/?cursor=abc")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


def test_one_query_per_source_however_long_the_history(sms, supplier, make_user, dcc_user,
                                                       django_assert_max_num_queries, settings):
    settings.GATEWAY_LOG_ASYNC_COMMIT = False
    actor = make_user(supplier)
    for _ in range(3):
        restriction_set(device=sms["ESME"], actor=actor, **SET)
        restriction_set(device=sms["ESME"], actor=actor, **{**SET, "restricted": False})
        service_request_submit(party=supplier, user=actor, srv="11.2", device_id=sms["ESME"].device_id,
                               command_variant=1, channel=Channel.JSON)
    assert ServiceRequestLog.objects.count() == 3
    device = Device.objects.get(pk=sms["ESME"].pk)
    # members, windows (DCC: none), 3 inventory sources, diagnostics, firmware, incidents
    with django_assert_max_num_queries(8):
        events = sms_timeline(user=dcc_user, device=device).events
    assert len(events) == 9 and timezone.now() - events[0].at < dt.timedelta(minutes=5)
