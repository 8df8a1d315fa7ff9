"""The home page shows each party what needs its attention, and the shell (nav, badge, messages) around every page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone
from lxml import html as lxml_html

from config.navigation import current_section
from incidents.choices import IncidentState
from incidents.models import Incident, format_reference
from portal.choices import OutboxKind, OutboxStatus
from portal.models import OutboxMessage, Party
from tests.factories import DeviceFactory, NetworkOperatorFactory, UserFactory


def _page(client, user, url: str = "/"):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response, lxml_html.fromstring(response.content)


_incident_numbers = iter(range(9_000_000, 9_999_999))


def _incident(*, raised_by: Party, assigned: Party, state: str = IncidentState.ASSIGNED, due_in_days: int = 5) -> Incident:
    user = UserFactory(party=raised_by)
    closed = state == IncidentState.CLOSED
    return Incident.objects.create(
        reference=format_reference(next(_incident_numbers)), state=state, device=DeviceFactory(), raised_by=raised_by,
        raised_by_user=user, assigned_party=assigned, due_by=timezone.localdate() + timedelta(days=due_in_days),
        closed_at=timezone.now() if closed else None, closure_kind="by_raiser" if closed else "",
    )


def _text(tree, test_id: str) -> str:
    return " ".join(tree.xpath(f'//*[@data-testid="{test_id}"]')[0].text_content().split())


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_supplier_sees_incidents_assigned_to_it_and_raised_by_it_with_overdue_ones(client, supplier, other_supplier):
    _incident(raised_by=other_supplier, assigned=supplier)
    _incident(raised_by=other_supplier, assigned=supplier, due_in_days=-2)
    _incident(raised_by=other_supplier, assigned=supplier, state=IncidentState.CLOSED)
    _incident(raised_by=supplier, assigned=other_supplier, state=IncidentState.RESPONDED)
    _incident(raised_by=other_supplier, assigned=other_supplier)  # neither ours to answer nor raised by us

    _response, tree = _page(client, UserFactory(party=supplier))

    assert _text(tree, "incidents-assigned").startswith("Incidents assigned to you 2 open, of which 1 overdue")
    assert "1 open, of which 1 answered and ready to close" in _text(tree, "incidents-raised")
    assert not tree.xpath('//*[@data-testid="outbox-failing"]')  # the outbox is the DCC's business
    overdue_link = tree.xpath('//*[@data-testid="incidents-assigned"]//a[text()="Overdue first"]')[0]
    assert overdue_link.get("href") == reverse("incidents:incident-list") + "?queue=assigned&overdue=true"


def test_empty_states_say_what_to_do(client, supplier):
    _response, tree = _page(client, UserFactory(party=supplier))
    assert "Nothing is waiting for you" in _text(tree, "incidents-assigned")
    assert "Raise an install-code request when you gain a device" in _text(tree, "incidents-raised")


def test_home_makes_a_fixed_number_of_queries_however_many_incidents(client, supplier, other_supplier,
                                                                     django_assert_max_num_queries):
    user = UserFactory(party=supplier)
    client.force_login(user)
    for _ in range(5):
        _incident(raised_by=other_supplier, assigned=supplier)
    with django_assert_max_num_queries(6):  # session, user+party, one incident aggregate (never a device count)
        assert client.get("/").status_code == 200


def test_dcc_sees_its_queue_overdue_incidents_of_any_party_and_failing_outbox(client, dcc_party, supplier, other_supplier):
    _incident(raised_by=supplier, assigned=dcc_party, state=IncidentState.NEW)
    _incident(raised_by=supplier, assigned=other_supplier, due_in_days=-1)
    _incident(raised_by=supplier, assigned=other_supplier, state=IncidentState.NOT_INSTALLING_SUPPLIER)
    OutboxMessage.objects.create(kind=OutboxKind.EMAIL, recipient="a@example.com", status=OutboxStatus.FAILED)
    OutboxMessage.objects.create(kind=OutboxKind.EMAIL, recipient="b@example.com", status=OutboxStatus.DELIVERED)

    _response, tree = _page(client, UserFactory(party=dcc_party))

    assert _text(tree, "incidents-assigned").startswith("Service desk queue 1 open")
    overdue = _text(tree, "incidents-overdue")
    assert overdue.startswith("Overdue incidents (any party) 1") and '1 answered "not the installing supplier"' in overdue
    assert _text(tree, "outbox-failing").startswith("Failing outbox messages 1 ")


def test_device_search_box_sends_q_to_the_inventory_list(client, supplier):
    _response, tree = _page(client, UserFactory(party=supplier))
    form = tree.xpath('//search[@aria-label="Device search"]/form')[0]
    assert form.get("method") == "get" and form.get("action") == reverse("inventory:device-list")
    field = form.xpath(".//input[@name='q']")[0]
    assert tree.xpath(f'//label[@for="{field.get("id")}"]'), "the search box has a label"


def _quick_links(client, party: Party) -> dict[str, str]:
    _response, tree = _page(client, UserFactory(party=party))
    return {a.text_content().strip(): a.get("href") for a in tree.xpath('//ul[@class="quick-links"]//a')}


def test_quick_links_follow_the_role(client, supplier, network_operator, dcc_party):
    device_list = reverse("inventory:device-list")
    supplier_links = _quick_links(client, supplier)
    assert supplier_links["Restricted devices"] == f"{device_list}?restricted=true"
    assert supplier_links["Raise an install-code request"] == reverse("incidents:incident-raise")
    assert supplier_links["Bulk restriction changes"] == reverse("inventory:restriction-bulk")
    assert "Allow-lists" not in supplier_links and "Central Products List" not in supplier_links

    operator_links = _quick_links(client, network_operator)
    assert "Search the inventory (read only)" in operator_links
    assert "Restricted devices" not in operator_links and "Monthly reports" in operator_links

    csp_links = _quick_links(client, Party.objects.get(code="CSPN"))
    assert csp_links["Restricted devices in North"] == f"{device_list}?restricted=true&csp_region=North"

    dcc_links = _quick_links(client, dcc_party)
    assert dcc_links["Incidents queue"] == reverse("incidents:incident-list") + "?queue=service_desk"
    assert dcc_links["Outbox"] == reverse("outbox-list")
    assert dcc_links["Allow-lists"] == reverse("gateway:allow-lists")
    assert dcc_links["Central Products List"] == reverse("inventory:cpl-list")


def test_party_badge_shows_who_the_user_acts_for(client, db):
    operator = NetworkOperatorFactory(code="DNOX", name="Northern Wires")
    _response, tree = _page(client, UserFactory(party=operator))
    badge = _text(tree, "party-badge")
    assert badge == "You act for DNOX Northern Wires Electricity Distributor"


def test_admin_section_is_in_the_nav_for_dcc_only(client, supplier, dcc_party):
    _response, tree = _page(client, UserFactory(party=supplier))
    supplier_nav = [a.text_content() for a in tree.xpath('//nav[@aria-label="Main"]//a')]
    assert "Gateway logs" in supplier_nav and "Admin" not in supplier_nav
    client.logout()
    _response, tree = _page(client, UserFactory(party=dcc_party))
    assert "Admin" in [a.text_content() for a in tree.xpath('//nav[@aria-label="Main"]//a')]


@pytest.mark.parametrize(("url_name", "section"), [
    ("home", "home"), ("inventory:device-list", "inventory"), ("inventory:cpl-list", "cpl"),
    ("incidents:incident-list", "incidents"), ("reporting:report-index", "reports"), ("gateway:log-index", "gateway"),
    ("gateway:allow-lists", "admin"), ("api-tokens", "account"),
])
def test_nav_marks_the_current_section(url_name, section):
    request = RequestFactory().get(reverse(url_name))
    request.resolver_match = resolve(request.path)
    assert current_section(request) == section


def test_active_section_has_aria_current_and_only_one(client, dcc_party):
    _response, tree = _page(client, UserFactory(party=dcc_party), reverse("inventory:cpl-list"))
    current = tree.xpath('//nav[@aria-label="Main"]//a[@aria-current="page"]')
    assert [a.text_content() for a in current] == ["CPL"]


def test_shell_has_skip_link_to_main_and_messages_in_live_regions(rf, supplier):
    request = rf.get("/")
    request.user = UserFactory(party=supplier)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    messages.success(request, "Token created.")
    messages.error(request, "That did not work.")

    tree = lxml_html.fromstring(render_to_string("base.html", request=request))

    assert tree.xpath('//a[@class="skip-link"]')[0].get("href") == "#main"
    assert tree.xpath('//main[@id="main"]')
    assert [p.text_content() for p in tree.xpath('//*[@role="status"]')] == ["Token created."]
    assert [p.text_content() for p in tree.xpath('//*[@role="alert"]')] == ["Error: That did not work."]
