"""Gateway pages: scoped logs with filters and keyset paging; DCC-only allow-list editing, audited."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gateway.choices import Channel
from gateway.models import AllowListChange, RestrictedSrvAllowance, ServiceRequestLog
from gateway.services import alert_receive, service_request_submit
from tests.factories import DeviceFactory, NetworkOperatorFactory


def log_row(party, *, at, srv="4.1.1", device_id="00-DB-12-00-00-00-00-01", code="I99", restricted=False):
    return ServiceRequestLog.objects.create(
        request_id=f"r-{at:%H%M%S%f}", requested_at=at, party=party, srv=srv, srv_category="consumption",
        device_id=device_id, command_variant=1, response_code=code, restricted_at_request=restricted,
        csp_region="North", channel=Channel.JSON,
    )


@pytest.fixture
def logged_in(client, make_user):
    def _login(party):
        client.force_login(make_user(party))
        return client
    return _login


def test_dcc_sees_every_request_newest_first_with_keyset_pages(logged_in, dcc_party, supplier, other_supplier):
    base = timezone.now().replace(microsecond=0)
    for i in range(60):
        log_row(supplier if i % 2 else other_supplier, at=base - dt.timedelta(minutes=i))
    client = logged_in(dcc_party)
    first = client.get("/gateway/")
    assert first.status_code == 200
    rows = first.context["rows"]
    assert len(rows) == 50 and rows[0].requested_at == base
    second = client.get("/gateway/", {"cursor": first.context["next_cursor"]})
    older = second.context["rows"]
    assert len(older) == 10 and second.context["next_cursor"] is None
    assert {r.pk for r in rows}.isdisjoint({r.pk for r in older})


def test_same_timestamp_rows_are_not_lost_between_pages(logged_in, dcc_party, supplier):
    at = timezone.now()
    ids = {log_row(supplier, at=at, device_id=f"00-DB-12-00-00-00-01-{i:02X}").pk for i in range(55)}
    client = logged_in(dcc_party)
    first = client.get("/gateway/")
    second = client.get("/gateway/", {"cursor": first.context["next_cursor"]})
    assert {r.pk for r in first.context["rows"]} | {r.pk for r in second.context["rows"]} == ids


def test_supplier_sees_only_its_own_requests(logged_in, supplier, other_supplier):
    mine = log_row(supplier, at=timezone.now())
    log_row(other_supplier, at=timezone.now())
    rows = logged_in(supplier).get("/gateway/").context["rows"]
    assert [r.pk for r in rows] == [mine.pk]


def test_network_operator_sees_its_own_requests(logged_in, supplier):
    operator = NetworkOperatorFactory()
    own = log_row(operator, at=timezone.now(), srv="4.10")
    log_row(supplier, at=timezone.now())
    assert [r.pk for r in logged_in(operator).get("/gateway/").context["rows"]] == [own.pk]


def test_filters_by_srv_device_party_code_dates_and_restricted(logged_in, dcc_party, supplier, other_supplier):
    now = timezone.now()
    target = log_row(supplier, at=now, srv="4.8.1", device_id="00-DB-12-00-00-00-00-AA", code="E72", restricted=True)
    log_row(supplier, at=now, srv="4.8.1", device_id="00-DB-12-00-00-00-00-AA", code="I99")
    log_row(other_supplier, at=now - dt.timedelta(days=40), srv="4.8.1", code="E72", restricted=True)
    client = logged_in(dcc_party)
    query = {"srv": "4.8.1", "device_id": "00-db-12-00-00-00-00-aa", "party": supplier.pk, "response_code": "E72",
             "date_from": (now - dt.timedelta(days=1)).date().isoformat(), "restricted": "true"}
    assert [r.pk for r in client.get("/gateway/", query).context["rows"]] == [target.pk]
    bad = client.get("/gateway/", {"device_id": "nonsense"})
    assert bad.status_code == 200 and "EUI-64" in bad.content.decode()


def test_date_filters_are_whole_local_days_and_compare_the_timestamp_itself(logged_in, dcc_party, supplier):
    """UK days (BST here): 23:30 on 1 July is in "to 1 July"; 00:30 on 2 July (23:30 UTC on 1 July) is not."""
    london = ZoneInfo("Europe/London")
    late = log_row(supplier, at=dt.datetime(2026, 7, 1, 23, 30, tzinfo=london))
    next_day = log_row(supplier, at=dt.datetime(2026, 7, 2, 0, 30, tzinfo=london))
    early = log_row(supplier, at=dt.datetime(2026, 7, 1, 0, 10, tzinfo=london))
    client = logged_in(dcc_party)
    one_day = client.get("/gateway/", {"date_from": "2026-07-01", "date_to": "2026-07-01"}).context["rows"]
    assert [r.pk for r in one_day] == [late.pk, early.pk]
    assert [r.pk for r in client.get("/gateway/", {"date_from": "2026-07-02"}).context["rows"]] == [next_day.pk]
    with CaptureQueriesContext(connection) as queries:
        client.get("/gateway/", {"date_from": "2026-07-01", "date_to": "2026-07-01"})
    log_query = next(q["sql"] for q in queries.captured_queries if "gateway_servicerequestlog" in q["sql"])
    assert "AT TIME ZONE" not in log_query and "::date" not in log_query  # prunable: no cast on the column


def test_log_page_query_count_is_fixed(logged_in, dcc_party, supplier, django_assert_max_num_queries):
    for i in range(30):
        log_row(supplier, at=timezone.now() - dt.timedelta(seconds=i))
    client = logged_in(dcc_party)
    with django_assert_max_num_queries(8):
        assert client.get("/gateway/").status_code == 200


def test_htmx_filter_returns_only_the_rows(logged_in, dcc_party, supplier):
    log_row(supplier, at=timezone.now())
    response = logged_in(dcc_party).get("/gateway/", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert '<div id="log-rows">' in page and "<form" not in page and "<html" not in page
    # Besides the rows, only the filters' error slots, swapped out of band (empty: these filters are valid).
    assert page.count('hx-swap-oob="true"') == page.count('id="filter-errors-') > 0
    assert 'class="error"' not in page


def test_alert_logs_sat_and_diagnostics(logged_in, dcc_party, supplier, other_supplier):
    normal = DeviceFactory(responsible_supplier=supplier)
    restricted = DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())
    alert_receive(party=dcc_party, device_id=normal.device_id, alert_code="8002")
    alert_receive(party=dcc_party, device_id=restricted.device_id, alert_code="8F0A")  # diverted (billing data)
    dcc = logged_in(dcc_party)
    assert [r.device_id for r in dcc.get("/gateway/alerts/sat/").context["rows"]] == [normal.device_id]
    diagnostics = dcc.get("/gateway/alerts/diagnostics/")
    assert [r.device_id for r in diagnostics.context["rows"]] == [restricted.device_id]
    assert "Restricted" in diagnostics.content.decode()


def test_suppliers_see_their_devices_sat_alerts_but_not_the_diagnostics_log(client, make_user, dcc_party, supplier,
                                                                            other_supplier):
    mine = DeviceFactory(responsible_supplier=supplier)
    theirs = DeviceFactory(responsible_supplier=other_supplier)
    alert_receive(party=dcc_party, device_id=mine.device_id, alert_code="8002")
    alert_receive(party=dcc_party, device_id=theirs.device_id, alert_code="8002")
    client.force_login(make_user(supplier))
    assert [r.device_id for r in client.get("/gateway/alerts/sat/").context["rows"]] == [mine.device_id]
    assert client.get("/gateway/alerts/diagnostics/").status_code == 403


def user_changes():
    """Allow-list audit rows written by people (migration 0013's release rows have no actor)."""
    return AllowListChange.objects.filter(actor__isnull=False)


def test_allow_list_page_is_dcc_only(logged_in, supplier):
    client = logged_in(supplier)
    assert client.get("/gateway/allow-lists/").status_code == 403
    response = client.post("/gateway/allow-lists/", {"allow_list": "srv", "item": "4.1.1", "allowed": "true"})
    assert response.status_code == 403
    assert not RestrictedSrvAllowance.objects.filter(srv_id="4.1.1").exists()
    assert not user_changes().exists()


def test_dcc_edit_is_audited_and_effective_immediately(logged_in, dcc_party, supplier):
    """The whole page journey (question, reason, message at the row) is in test_allow_list_pages.py."""
    device = DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())

    def read():
        return service_request_submit(party=supplier, user=None, srv="4.1.1", device_id=device.device_id,
                                      command_variant=1, channel=Channel.JSON).response_code

    assert read() == "E72"
    client = logged_in(dcc_party)
    page = client.get("/gateway/allow-lists/?list=srv&q=4.1.1")
    assert page.status_code == 200 and "Allow 4.1.1" in page.content.decode()
    response = client.post("/gateway/allow-lists/change/",
                           {"list": "srv", "items": "4.1.1", "allowed": "true", "reason": "DCC trial"}, follow=True)
    assert "now allowed" in response.content.decode()
    assert read() == "I99"
    change = user_changes().get()
    assert (change.item, change.old_allowed, change.new_allowed, change.reason) == ("4.1.1", False, True, "DCC trial")
    assert change.party == dcc_party and change.actor.party == dcc_party
    assert "DCC trial" in client.get("/gateway/allow-lists/").content.decode()


def test_allow_list_audit_rows_cannot_be_changed_or_deleted(dcc_user):
    from gateway.services import allow_list_srv_set
    allow_list_srv_set(actor=dcc_user, srv="4.1.1", allowed=True, reason="trial")
    change = user_changes().get()
    with pytest.raises(DatabaseError), transaction.atomic():
        AllowListChange.objects.filter(pk=change.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        change.delete()


def test_unchanged_edit_writes_no_audit_row(dcc_user):
    from gateway.services import allow_list_srv_set
    assert allow_list_srv_set(actor=dcc_user, srv="11.1", allowed=True, reason="already") is False
    assert not user_changes().exists()


def test_non_device_srv_cannot_be_put_on_the_allow_list(dcc_user):
    from gateway.services import allow_list_srv_set
    from portal.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        allow_list_srv_set(actor=dcc_user, srv="8.2", allowed=False)
