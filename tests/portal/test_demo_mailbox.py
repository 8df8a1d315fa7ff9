"""The demo's mail catcher and CSP endpoint (``portal.demo_mailbox``) and their pages: real SMTP and HTTP on
loopback, the outbox delivering to them, the DCC reading the mailbox, each CSP reading what its endpoint got.
Off (as in production), the pages answer 404 and the servers refuse to start."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from portal import demo_mailbox
from portal.choices import OutboxKind, OutboxStatus
from portal.models import CaughtEmail, CaughtNotification, Party
from portal.services import outbox_deliver_message, outbox_enqueue
from tests.factories import PartyFactory
from tests.services import free_port, wait_for

MAILBOX_PAGES = ["demo-mailbox", "demo-csp-notifications"]


@pytest.fixture
def enabled(settings):
    settings.DEMO_MAILBOX_ENABLED = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def catcher(enabled):
    """The real mail catcher on a free loopback port; the portal's email goes to it."""
    controller = demo_mailbox.start_smtp("127.0.0.1", free_port())
    enabled.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    enabled.EMAIL_HOST, enabled.EMAIL_PORT = "127.0.0.1", controller.port
    yield controller
    controller.stop()


@pytest.fixture
def endpoint(enabled):
    """The real CSP endpoint on a free loopback port; returns its base URL."""
    server = demo_mailbox.start_csp_endpoint("127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _login(client, make_user, party):
    client.force_login(make_user(party))
    return client


def _send_with_smtplib(port: int, *, subject: str, to: str, body: str, outbox_id: int | None = None) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ssi-noreply@dcc.example", to, subject
    if outbox_id is not None:
        message["X-Outbox-Id"] = str(outbox_id)
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


# --- off (production): nothing there ------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("page", MAILBOX_PAGES)
def test_mailbox_pages_do_not_exist_when_the_demo_mailbox_is_off(page, client, make_user, dcc_party, settings):
    settings.DEMO_MAILBOX_ENABLED = False
    assert client.get(reverse(page)).status_code == 404  # not even a login redirect
    _login(client, make_user, dcc_party)
    assert client.get(reverse(page)).status_code == 404
    email = CaughtEmail.objects.create(subject="Old", recipients="a@example.com")
    assert client.get(reverse("demo-mailbox-message", args=[email.pk])).status_code == 404


def test_servers_refuse_to_start_when_off_or_beyond_loopback(settings):
    settings.DEMO_MAILBOX_ENABLED = False
    with pytest.raises(demo_mailbox.DemoMailboxDisabled):
        demo_mailbox.start_smtp("127.0.0.1", free_port())
    with pytest.raises(CommandError, match="demo mode"):
        call_command("demo_mailbox", "csp", "--port", str(free_port()))
    settings.DEMO_MAILBOX_ENABLED = True
    with pytest.raises(ValueError, match="loopback only"):
        demo_mailbox.start_csp_endpoint("0.0.0.0", 0)


# --- the mailbox page ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_dcc_reads_caught_emails_newest_first_and_opens_one(enabled, client, make_user, dcc_party):
    CaughtEmail.objects.create(subject="First email", recipients="ops@supa.example", body="Older body")
    newest = CaughtEmail.objects.create(subject="Install-code request INC0000042", recipients="ops@supb.example",
                                        mail_from="ssi-noreply@dcc.example", body="Please answer <b>soon</b>.",
                                        raw="Subject: Install-code request INC0000042\n\nPlease answer", outbox_id=7)
    _login(client, make_user, dcc_party)
    page = client.get(reverse("demo-mailbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Install-code request INC0000042") < html.index("First email")
    assert reverse("demo-mailbox-message", args=[newest.pk]) in html

    message = client.get(reverse("demo-mailbox-message", args=[newest.pk])).content.decode()
    assert "ops@supb.example" in message and "Please answer &lt;b&gt;soon&lt;/b&gt;." in message  # escaped
    assert client.get(reverse("demo-mailbox-message", args=[newest.pk + 100])).status_code == 404


@pytest.mark.django_db
def test_the_demo_admin_without_a_party_reads_the_mailbox_too(enabled, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("demo-admin", "admin@dcc.example", "x"))
    assert client.get(reverse("demo-mailbox")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [["IS", "GS"], ["ED"], ["OU"], ["CSP"]])
def test_only_the_dcc_reads_the_mailbox(roles, enabled, client, make_user):
    email = CaughtEmail.objects.create(subject="Secret to others", recipients="ops@supa.example")
    _login(client, make_user, PartyFactory(code="M" + roles[0], roles=roles))
    assert client.get(reverse("demo-mailbox")).status_code == 403
    assert client.get(reverse("demo-mailbox-message", args=[email.pk])).status_code == 403


@pytest.mark.django_db
def test_mailbox_is_keyset_paged(enabled, client, make_user, dcc_party, django_assert_max_num_queries):
    CaughtEmail.objects.bulk_create(CaughtEmail(subject=f"Email {i}", recipients="a@example.com") for i in range(55))
    _login(client, make_user, dcc_party)
    with django_assert_max_num_queries(8):
        first = client.get(reverse("demo-mailbox"))
    assert [e.subject for e in first.context["rows"]][:2] == ["Email 54", "Email 53"]
    second = client.get(reverse("demo-mailbox") + "?" + first.context["next_query"])
    assert [e.subject for e in second.context["rows"]] == [f"Email {i}" for i in range(4, -1, -1)]
    assert client.get(reverse("demo-mailbox"), {"cursor": "!!"}).status_code == 400


# --- the real servers ---------------------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_catcher_stores_a_real_smtp_message_sent_with_smtplib(catcher, client, make_user):
    _send_with_smtplib(catcher.port, subject="Hello from smtplib", to="ops@supa.example",
                       body="Line one\nLine two £", outbox_id=41)
    caught = wait_for(lambda: CaughtEmail.objects.first(), message="the caught email")
    assert (caught.subject, caught.recipients, caught.outbox_id) == ("Hello from smtplib", "ops@supa.example", 41)
    assert caught.mail_from == "ssi-noreply@dcc.example"
    assert "Line two £" in caught.body and "Subject: Hello from smtplib" in caught.raw

    _login(client, make_user, Party.objects.get(code="DCC"))
    assert "Hello from smtplib" in client.get(reverse("demo-mailbox")).content.decode()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_outbox_emails_and_csp_notifications_are_delivered_to_the_demo_servers(catcher, endpoint):
    pointed = dict(demo_mailbox.point_csps_at(endpoint))
    assert pointed["CSPN"] == f"{endpoint}/csp/CSPN/"
    cspn = Party.objects.get(code="CSPN")
    assert cspn.notification_endpoint == pointed["CSPN"]
    with transaction.atomic():
        email = outbox_enqueue(kind=OutboxKind.EMAIL, recipient="ops@supa.example", subject="Demo email",
                               body="Delivered to the catcher")
        notification = outbox_enqueue(kind=OutboxKind.CSP_NOTIFICATION, recipient=cspn.notification_endpoint,
                                      payload={"event": "restriction_changed", "device_id": "00-DB-12-00-00-00-00-01"},
                                      party=cspn)
    for message in (email, notification):
        assert outbox_deliver_message(message_id=message.pk) is True
        message.refresh_from_db()
        assert message.status == OutboxStatus.DELIVERED
    caught_email = wait_for(lambda: CaughtEmail.objects.filter(outbox_id=email.pk).first(), message="caught email")
    assert caught_email.subject == "Demo email" and "Delivered to the catcher" in caught_email.body
    caught = CaughtNotification.objects.get()
    assert (caught.party, caught.outbox_id, caught.idempotency_key) == (cspn, notification.pk, f"outbox-{notification.pk}")
    assert caught.payload["device_id"] == "00-DB-12-00-00-00-00-01"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_csp_endpoint_answers_what_it_cannot_take(endpoint):
    assert requests.post(f"{endpoint}/csp/NOPE/", json={}, timeout=10).status_code == 404
    assert requests.post(f"{endpoint}/csp/CSPN/", data=b"not json", timeout=10).status_code == 400
    assert requests.post(f"{endpoint}/csp/DCC/", json={}, timeout=10).status_code == 404  # not a CSP
    assert not CaughtNotification.objects.exists()
    assert requests.post(f"{endpoint}/csp/CSPS/", json={"n": 1}, timeout=10).status_code == 200
    assert CaughtNotification.objects.get().party.code == "CSPS"


# --- the CSP notifications page -----------------------------------------------------------------------

@pytest.mark.django_db
def test_a_csp_sees_what_its_endpoint_received_and_no_other_csps(enabled, client, make_user):
    north, south = Party.objects.get(code="CSPN"), Party.objects.get(code="CSPS")
    CaughtNotification.objects.create(party=north, idempotency_key="outbox-1", payload={"device_id": "NORTH-METER"})
    CaughtNotification.objects.create(party=south, idempotency_key="outbox-2", payload={"device_id": "SOUTH-METER"})
    html = _login(client, make_user, north).get(reverse("demo-csp-notifications")).content.decode()
    assert "NORTH-METER" in html and "outbox-1" in html and "SOUTH-METER" not in html

    desk = _login(client, make_user, Party.objects.get(code="DCC")).get(reverse("demo-csp-notifications"))
    assert "NORTH-METER" in desk.content.decode() and "SOUTH-METER" in desk.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [["IS", "GS"], ["ED"], ["OU"]])
def test_parties_without_an_endpoint_have_no_notifications_page(roles, enabled, client, make_user):
    _login(client, make_user, PartyFactory(code="N" + roles[0], roles=roles))
    assert client.get(reverse("demo-csp-notifications")).status_code == 403


@pytest.mark.django_db
def test_home_links_to_the_demo_pages_only_in_demo_mode(client, make_user, dcc_party, settings):
    settings.DEMO_MAILBOX_ENABLED = False
    _login(client, make_user, dcc_party)
    assert reverse("demo-mailbox") not in client.get(reverse("home")).content.decode()
    settings.DEMO_MAILBOX_ENABLED = True
    assert reverse("demo-mailbox") in client.get(reverse("home")).content.decode()
    csp_home = _login(client, make_user, Party.objects.get(code="CSPC")).get(reverse("home")).content.decode()
    assert reverse("demo-csp-notifications") in csp_home and reverse("demo-mailbox") not in csp_home
