"""Issue 10 item 2: secrets never leak.

An MP121 install code goes in once (the assignee's note) and comes out only through the audited
reveal. A full raise -> answer -> reveal -> close cycle, through the pages and the REST API, with
some refused and invalid requests on the way, must leave the code in none of: the emails, the logs
(every logger at DEBUG, SQL included), the device extract, the incidents API, the Django admin, the
error pages, or any text column of the database. API keys are stored only as hashes.

Key rotation (``rotate_encryption_keys``) is proved in ``tests/incidents/test_crypto.py``
(``test_rotation_reencrypts_with_the_newest_key_and_old_rows_still_decrypt``), not repeated here.
"""
from __future__ import annotations

import logging
import re

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from incidents.models import Incident, IncidentNote
from inventory.choices import DeviceStatus
from portal.models import ApiToken, OutboxMessage
from portal.services import api_token_issue
from tests.factories import DeviceFactory, SupplierFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

#: A code no other value in the database could contain by chance.
INSTALL_CODE = "9F3C5A7E1B2D4F6081A3C5E7092B4D6F"


def leaks(text: str, secret: str = INSTALL_CODE) -> bool:
    """The secret in ``text``, in any case and with or without separators."""
    squeezed = re.sub(r"[\s:\-]", "", text).upper()
    return secret.upper() in squeezed


def api(user) -> APIClient:
    _token, key = api_token_issue(user=user, name="secrets test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def cycle(caplog, dcc_party):
    """Run the whole MP121 cycle with every logger at DEBUG and SQL logged; return what was seen."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):  # settings.LOGGING holds some (SQL) at WARNING
        caplog.set_level(logging.DEBUG, logger=name)
    gaining, installer, stranger = (SupplierFactory(code=code) for code in ("SECA", "SECB", "SECC"))
    gaining_user = UserFactory(party=gaining, username="secret-gaining", email="gaining@seca.example")
    installer_user = UserFactory(party=installer, username="secret-installer", email="installer@secb.example")
    stranger_user = UserFactory(party=stranger, username="secret-stranger")
    devices = [
        DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                      responsible_supplier=gaining, prenotifying_supplier=installer)
        for _ in range(2)
    ]
    responses = []
    connection.force_debug_cursor = True  # SQL and its parameters go to django.db.backends at DEBUG
    try:
        gaining_api, installer_api, stranger_api = api(gaining_user), api(installer_user), api(stranger_user)
        gaining_page, installer_page = browser(gaining_user), browser(installer_user)

        # Raise: one through the API, one through the page.
        raised = gaining_api.post("/api/v1/incidents/install-code-requests/",
                                  {"device_id": devices[0].device_id}, format="json")
        assert raised.status_code == 201
        responses.append(gaining_page.post("/incidents/install-code-requests/new/",
                                           {"device_id": devices[1].device_id}))
        api_incident, page_incident = (Incident.objects.get(device=device) for device in devices)
        api_url = f"/api/v1/incidents/{api_incident.reference}"
        page_url = f"/incidents/{page_incident.reference}"

        # Refused and invalid attempts carrying the code: 403 (not the assignee), 404 (not visible),
        # 400 (form invalid: too long), a page refusal (not the assignee: the 403 page saying why, since
        # the raiser may never supply a code), none of which may echo it.
        refused = [
            gaining_api.post(f"{api_url}/notes/", {"body": "x", "install_code": INSTALL_CODE}, format="json"),
            stranger_api.post(f"{api_url}/notes/", {"body": "x", "install_code": INSTALL_CODE}, format="json"),
            installer_api.post(f"{api_url}/notes/", {"body": "x", "install_code": INSTALL_CODE + "ZZ"}, format="json"),
            gaining_page.post(f"{page_url}/notes/", {"body": "x", "install_code": INSTALL_CODE}, follow=True),
            installer_page.post(f"{page_url}/notes/", {"body": "x", "install_code": INSTALL_CODE * 3}),
            gaining_page.get("/incidents/INC9999999/"),
            stranger_api.post(f"{api_url}/reveal-install-code/"),
        ]
        assert [r.status_code for r in refused] == [403, 404, 400, 403, 400, 404, 404]
        assert "Only the assigned installing supplier can supply the install code" in refused[3].content.decode()
        responses += refused

        # Answer: the code through the API and through the page form.
        answered = installer_api.post(f"{api_url}/notes/", {"body": "Code attached", "install_code": INSTALL_CODE},
                                      format="json")
        assert answered.status_code == 201
        responses.append(answered)
        responses.append(installer_page.post(f"{page_url}/notes/", {"body": "Here", "install_code": INSTALL_CODE},
                                             follow=True))

        # The reveal is the one place the code may appear: to the raiser, recorded.
        revealed = gaining_api.post(f"{api_url}/reveal-install-code/")
        assert revealed.status_code == 200 and revealed.json()["install_code"] == INSTALL_CODE
        note = IncidentNote.objects.filter(incident=page_incident).exclude(install_code_ciphertext="").get()
        page_reveal = gaining_page.post(f"{page_url}/notes/{note.pk}/reveal/")
        assert page_reveal.status_code == 200 and leaks(page_reveal.content.decode())

        # Close both; read the lists and details afterwards.
        assert gaining_api.post(f"{api_url}/close/", {}, format="json").status_code == 200
        responses.append(gaining_page.post(f"{page_url}/close/", {"reason": "done", "confirmed": "yes"}, follow=True))
        for client, url in ((gaining_api, "/api/v1/incidents/"), (installer_api, "/api/v1/incidents/"),
                            (gaining_api, f"{api_url}/"), (installer_api, f"{api_url}/"),
                            (gaining_page, page_url + "/"), (installer_page, page_url + "/"),
                            (gaining_page, "/incidents/"), (installer_page, "/incidents/")):
            response = client.get(url)
            assert response.status_code == 200, url
            responses.append(response)
    finally:
        connection.force_debug_cursor = False
    return {"responses": responses, "incidents": [api_incident, page_incident], "devices": devices,
            "gaining_user": gaining_user, "installer_user": installer_user}


def test_the_code_is_stored_encrypted_and_the_cycle_produced_emails(cycle):
    notes = IncidentNote.objects.exclude(install_code_ciphertext="")
    assert notes.count() == 2
    assert all(not leaks(note.install_code_ciphertext) for note in notes)
    assert OutboxMessage.objects.filter(kind="email").count() >= 4  # raised x2, code available x2 at least


def test_no_email_or_csp_message_carries_the_code(cycle):
    messages = list(OutboxMessage.objects.all())
    assert messages
    for message in messages:
        assert not leaks(f"{message.subject}\n{message.body}\n{message.payload}"), message.source


def test_no_log_record_carries_the_code(cycle, caplog):
    records = caplog.get_records("setup")  # the cycle runs in the fixture, i.e. in the setup phase
    assert any(record.name == "django.db.backends" for record in records)  # SQL really was captured
    assert any(record.name == "django.request" for record in records)  # and the refused requests
    for record in records:
        text = f"{record.getMessage()} {record.args!r} {record.exc_text or ''} {getattr(record, 'sql', '')}"
        assert not leaks(text), f"{record.name}: {record.getMessage()[:200]}"


def test_no_page_or_api_answer_other_than_the_reveal_carries_the_code(cycle):
    for response in cycle["responses"]:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert not leaks(body.decode(errors="replace")), (response.status_code, body[:300])


def test_the_device_extracts_do_not_carry_the_code(cycle):
    client = api(cycle["gaining_user"])
    for fmt in ("csv", "jsonl"):
        response = client.get(f"/api/v1/devices/extract/?format={fmt}")
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode()
        assert cycle["devices"][0].device_id in body
        assert not leaks(body)


def test_the_admin_pages_do_not_carry_the_code(cycle, settings):
    admin = UserFactory(username="secret-admin", party=None, is_staff=True, is_superuser=True)
    client = browser(admin)
    incident = cycle["incidents"][0]
    note = IncidentNote.objects.filter(incident=incident).exclude(install_code_ciphertext="").get()
    pages = ["/admin/incidents/incident/", f"/admin/incidents/incident/{incident.pk}/change/",
             "/admin/incidents/incidentnote/", f"/admin/incidents/incidentnote/{note.pk}/change/",
             "/admin/incidents/incidentevent/", "/admin/portal/outboxmessage/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302, 404), url
        assert not leaks(response.content.decode()), url
    assert client.get(pages[1]).status_code == 200  # the incident's change page exists and was checked


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb') "
            "ORDER BY 1, 2"
        )
        return cursor.fetchall()


def tables_holding(secret: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(
                f'SELECT 1 FROM "{table}" WHERE upper(regexp_replace("{column}"::text, \'[\\s:-]\', \'\', \'g\')) '
                f"LIKE %s LIMIT 1",
                [f"%{secret.upper()}%"],
            )
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


def test_no_text_column_of_any_table_holds_the_code_in_clear(cycle):
    columns = text_columns()
    assert ("incidents_incidentnote", "install_code_ciphertext") in columns  # the scan reaches the notes
    assert tables_holding(INSTALL_CODE) == []


def test_the_database_scan_would_find_a_clear_code():
    """The scan above is not vacuous: a code written in clear anywhere is found."""
    party = SupplierFactory(code="SECD", name=f"Party {INSTALL_CODE.lower()}")
    assert tables_holding(INSTALL_CODE) == ["portal_party.name"]
    party.delete()


def test_api_keys_are_stored_only_as_hashes(dcc_party):
    user = UserFactory(party=dcc_party, username="secret-token")
    token, key = api_token_issue(user=user, name="hashed")
    assert token.key_hash != key and len(token.key_hash) == 64
    assert ApiToken.find_active(key) == token
    assert tables_holding(key) == []
