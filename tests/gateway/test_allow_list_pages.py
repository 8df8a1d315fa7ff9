"""The MP169 allow-lists page (#19 item 9): one list at a time with search, "refused only" and categories, paged;
every change - one row or a selection (bulk) - goes through a confirmation step that names its effect and asks the
required reason; the message is shown at the changed row. The R169-9 classification is shown on the alert list."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone

from gateway.choices import Channel
from gateway.models import AllowListChange, RestrictedAlertAllowance, RestrictedSrvAllowance
from gateway.services import alert_receive, allow_list_items_set, service_request_submit
from portal.errors import PermissionDenied, ValidationFailed
from tests.factories import DeviceFactory

CHANGE = "/gateway/allow-lists/change/"


def user_changes():
    """Audit rows written by people (the release's migration rows have no actor)."""
    return AllowListChange.objects.filter(actor__isnull=False)


@pytest.fixture
def desk(client, dcc_user):
    client.force_login(dcc_user)
    return client


def test_the_list_is_paged_fifty_rows_at_a_time_with_a_count(desk):
    page = desk.get("/gateway/allow-lists/?list=alert")
    body = page.content.decode()
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 50 and page.context["total"] == 184
    assert "184 alert codes; 1 withheld. Page 1 of 4." in body
    last = desk.get("/gateway/allow-lists/?list=alert&page=4")
    assert [row.item for row in last.context["page"].object_list][-1] == "8F8B"
    assert len(last.context["page"].object_list) == 184 - 150


def test_search_refused_only_and_category_filters(desk):
    refused = desk.get("/gateway/allow-lists/?list=srv&state=refused").context["page"].object_list
    assert {row.item for row in refused} == {"4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.2", "4.4.2", "4.4.3", "4.6.1",
                                              "4.6.2", "4.8.1", "4.8.2", "4.8.3", "4.10", "4.12.1", "4.12.2", "4.15",
                                              "4.16", "4.17", "14.1"}
    voltage = desk.get("/gateway/allow-lists/?list=alert&category=voltage").context["page"].object_list
    assert len(voltage) == 48 and all(row.allowed for row in voltage)
    found = desk.get("/gateway/allow-lists/?list=alert&q=billing").context["page"].object_list
    assert [row.item for row in found] == ["8F0A"]
    assert desk.get("/gateway/allow-lists/?list=srv&q=tariff%20block").context["total"] >= 1
    empty = desk.get("/gateway/allow-lists/?list=alert&q=nothing-like-this")
    assert "Nothing matches these filters" in empty.content.decode()


def test_the_alert_list_shows_each_codes_classification_and_reason(desk):
    body = desk.get("/gateway/allow-lists/?list=alert&q=8F0A").content.decode()
    assert "Consumption and billing data" in body and "seed 004 s2.5" in body and "Withheld" in body
    body = desk.get("/gateway/allow-lists/?list=alert&q=8002").content.decode()
    assert "Voltage quality" in body and "Delivered" in body


def test_a_row_change_asks_first_naming_the_effect_and_changes_nothing_until_confirmed(desk):
    before = user_changes().count()
    question = desk.get(f"{CHANGE}?list=srv&items=1.7&allowed=false&back=list%3Dsrv%26q%3D1.7")
    body = question.content.decode()
    assert question.status_code == 200
    assert "<h1>Refuse 1.7 for every restricted device?</h1>" in body
    assert "answered <strong>E72</strong>" in body and "Yes, refuse 1.7" in body
    assert RestrictedSrvAllowance.objects.filter(srv_id="1.7").exists() and user_changes().count() == before


def test_the_reason_is_required_and_the_form_comes_back_with_an_error_summary(desk):
    response = desk.post(CHANGE, {"list": "srv", "items": ["1.7"], "allowed": "false", "reason": "  ",
                                  "back": "list=srv"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: Refuse 1.7 for every restricted device?" in body
    assert 'class="error-summary"' in body and 'href="#id_reason"' in body
    assert 'aria-invalid="true"' in body and "Enter the reason for the change." in body
    assert RestrictedSrvAllowance.objects.filter(srv_id="1.7").exists() and not user_changes().exists()


def test_confirmed_change_is_audited_effective_at_once_and_the_message_is_at_the_row(desk, dcc_party, supplier):
    meter = DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())

    def send():
        return service_request_submit(party=supplier, user=None, srv="1.7", device_id=meter.device_id,
                                      command_variant=4, channel=Channel.JSON).response_code

    assert send() == "I99"
    response = desk.post(CHANGE, {"list": "srv", "items": ["1.7"], "allowed": "false", "reason": "Tariff trial",
                                  "back": "list=srv&q=1.7"})
    assert response.status_code == 302 and response["Location"] == "/gateway/allow-lists/?list=srv&q=1.7#row-srv-1-7"
    assert send() == "E72"
    change = user_changes().get()
    assert (change.item, change.old_allowed, change.new_allowed, change.reason, change.party) == (
        "1.7", True, False, "Tariff trial", dcc_party)
    page = desk.get("/gateway/allow-lists/?list=srv&q=1.7").content.decode()
    row_at = page.index('id="row-srv-1-7"')
    notice_at = page.index("1.7 is now refused for restricted devices")
    assert row_at < notice_at < page.index("</tbody>")
    assert "1.7 is now refused" not in desk.get("/gateway/allow-lists/?list=srv&q=1.7").content.decode()  # once


def test_bulk_edit_changes_the_selection_in_one_transaction(desk):
    question = desk.get(CHANGE, {"list": "alert", "items": ["8002", "8003", "8F0A"], "allowed": "false"})
    body = question.content.decode()
    assert "<h1>Withhold 3 alerts from every restricted device?</h1>" in body
    assert "This departs from the MP169 default" in body  # 8002 and 8003 are delivered by default (voltage)
    assert "Unchanged (already refused)" in body  # 8F0A is withheld already
    response = desk.post(CHANGE, {"list": "alert", "items": ["8002", "8003", "8F0A"], "allowed": "false",
                                  "reason": "Network trial"})
    assert response.status_code == 302
    assert set(user_changes().values_list("item", flat=True)) == {"8002", "8003"}
    assert not RestrictedAlertAllowance.objects.filter(alert_id__in=["8002", "8003"]).exists()


def test_bulk_edit_with_an_unknown_item_changes_nothing(dcc_user):
    with pytest.raises(ValidationFailed) as refused:
        allow_list_items_set(actor=dcc_user, allow_list="alert", items=["8002", "FFFF"], allowed=False, reason="x")
    assert refused.value.code == "unknown_alert_code"
    assert RestrictedAlertAllowance.objects.filter(alert_id="8002").exists() and not user_changes().exists()


def test_nothing_selected_is_explained_not_a_500(desk):
    response = desk.get(CHANGE, {"list": "srv", "allowed": "false"})
    assert response.status_code == 400 and "Select what to change" in response.content.decode()
    response = desk.post(CHANGE, {"list": "srv", "items": ["99.9"], "allowed": "false", "reason": "x"})
    assert response.status_code == 400 and not user_changes().exists()


def test_the_old_one_click_post_only_leads_to_the_question(desk):
    response = desk.post("/gateway/allow-lists/", {"allow_list": "srv", "item": "4.1.1", "allowed": "true",
                                                   "reason": "trial"})
    assert response.status_code == 302 and response["Location"].startswith(CHANGE)
    assert not RestrictedSrvAllowance.objects.filter(srv_id="4.1.1").exists() and not user_changes().exists()
    assert "trial" in desk.get(response["Location"]).content.decode()  # the reason carried to the question


def test_only_the_dcc_reaches_the_list_and_the_question(client, make_user, supplier):
    client.force_login(make_user(supplier))
    assert client.get("/gateway/allow-lists/").status_code == 403
    assert client.get(CHANGE, {"list": "srv", "items": "1.7", "allowed": "false"}).status_code == 403
    response = client.post(CHANGE, {"list": "srv", "items": ["1.7"], "allowed": "false", "reason": "sneaky"})
    assert response.status_code == 403
    assert RestrictedSrvAllowance.objects.filter(srv_id="1.7").exists() and not user_changes().exists()
    with pytest.raises(PermissionDenied):
        allow_list_items_set(actor=make_user(supplier), allow_list="srv", items=["1.7"], allowed=False, reason="x")


def test_nav_and_breadcrumb_agree_on_the_admin_section(desk):
    body = desk.get("/gateway/allow-lists/").content.decode()
    assert re.search(r'<a href="/gateway/allow-lists/"[^>]*aria-current="page"[^>]*>Admin</a>', body), body[:3000]
    assert '<li aria-current="page">Admin: MP169 allow-lists</li>' in body
    question = desk.get(CHANGE, {"list": "srv", "items": "1.7", "allowed": "false"}).content.decode()
    assert ">Admin: MP169 allow-lists</a></li><li aria-current=\"page\">Confirm the change</li>" in question


def test_a_withheld_alert_edit_counts_from_the_next_alert(desk, dcc_party, supplier):
    meter = DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())
    assert alert_receive(party=dcc_party, device_id=meter.device_id, alert_code="8020").log == "sat"
    desk.post(CHANGE, {"list": "alert", "items": ["8020"], "allowed": "false", "reason": "Trial"})
    assert alert_receive(party=dcc_party, device_id=meter.device_id, alert_code="8020").log == "diagnostics"
