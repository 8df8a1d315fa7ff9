"""DCC's outbox page: delivery state of every message, newest first, filtered, keyset paged; DCC only."""
from __future__ import annotations

import pytest
from django.urls import reverse

from portal.choices import OutboxKind, OutboxStatus
from portal.models import OutboxMessage
from tests.factories import PartyFactory


@pytest.fixture
def dcc_client(client, make_user, dcc_party):
    client.force_login(make_user(dcc_party))
    return client


@pytest.mark.parametrize("roles", [["IS", "GS"], ["ED"], ["CSP"], ["OU"]])
def test_outbox_page_is_dcc_only(roles, client, make_user):
    client.force_login(make_user(PartyFactory(code="X" + roles[0], roles=roles)))
    assert client.get(reverse("outbox-list")).status_code == 403


def test_outbox_page_needs_login(client):
    assert client.get(reverse("outbox-list")).status_code == 302


def test_failing_csp_notification_is_shown_with_its_error(dcc_client):
    OutboxMessage.objects.create(kind=OutboxKind.EMAIL, recipient="ops@example.com", status=OutboxStatus.DELIVERED)
    OutboxMessage.objects.create(
        kind=OutboxKind.CSP_NOTIFICATION, recipient="https://cspn.example/hook", status=OutboxStatus.FAILED,
        attempts=3, last_error="OutboxDeliveryError: CSP endpoint answered HTTP 503", source="restriction:7",
    )
    html = dcc_client.get(reverse("outbox-list")).content.decode()
    assert html.index("https://cspn.example/hook") < html.index("ops@example.com")  # newest first
    assert "HTTP 503" in html and "Failing (will retry)" in html and "restriction:7" in html

    failing = dcc_client.get(reverse("outbox-list"), {"status": "failed", "kind": "csp_notification"})
    assert "cspn.example" in failing.content.decode() and "ops@example.com" not in failing.content.decode()
    empty = dcc_client.get(reverse("outbox-list"), {"status": "pending"})
    assert "No messages match these filters" in empty.content.decode()


def test_outbox_page_is_keyset_paged_with_a_bounded_number_of_queries(dcc_client, django_assert_max_num_queries):
    OutboxMessage.objects.bulk_create(
        OutboxMessage(kind=OutboxKind.EMAIL, recipient=f"r{i}@example.com") for i in range(60))
    with django_assert_max_num_queries(8):
        first = dcc_client.get(reverse("outbox-list"))
    page = first.context["rows"]
    assert len(page) == 50 and page[0].recipient == "r59@example.com"
    second = dcc_client.get(reverse("outbox-list") + "?" + first.context["next_query"])
    assert [m.recipient for m in second.context["rows"]] == [f"r{i}@example.com" for i in range(9, -1, -1)]
    assert second.context["next_query"] is None
    assert dcc_client.get(reverse("outbox-list"), {"cursor": "!!"}).status_code == 400
