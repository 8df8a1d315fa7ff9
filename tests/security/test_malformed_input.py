"""Issue 14 "Trust at the edges": malformed input gets a clear 4xx - the API's JSON error shape
(``{"code", "detail", "errors"}``), or the page again with the message - never a 500, and it changes
nothing: no half-written bulk change, no audit row or CSP message for a request that was refused.

The shared mechanisms are tested through the endpoints that use them: the cursor decoder
(``portal.pagination``), the JSON parser (``portal.api.parsers``), the CSV reader (``portal.csv_upload``)
and the one check for text PostgreSQL cannot store (``portal.text``).
"""
from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from gateway.choices import Channel
from gateway.models import ServiceRequestLog
from incidents import services as incident_services
from incidents.models import Incident, IncidentBulkJob, IncidentNote
from incidents.services import BULK_MAX_ROWS as INCIDENT_BULK_MAX_ROWS
from incidents.services import incident_add_note, incident_raise_install_code_request
from inventory.choices import DeviceStatus, RestrictionChannel
from inventory.models import RestrictionBulkJob, RestrictionChange
from inventory.services.restriction import restriction_set
from portal.errors import ValidationFailed
from portal.models import OutboxMessage
from portal.services import api_token_issue
from tests.factories import DeviceFactory, SupplierFactory, make_sms

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

CSV_FIELD_LIMIT = 131_072  # the csv module's default field_size_limit()
MAX_UPLOAD_BYTES = 12 * 1024 * 1024  # both bulk uploads


def _api(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user, name='malformed')[1]}")
    return client


def _page(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def api(supplier_user) -> APIClient:
    return _api(supplier_user)


@pytest.fixture
def dcc_api(dcc_user) -> APIClient:
    return _api(dcc_user)


@pytest.fixture
def page(supplier_user) -> Client:
    return _page(supplier_user)


@pytest.fixture
def dcc_page(dcc_user) -> Client:
    return _page(dcc_user)


@pytest.fixture
def meters(supplier):
    return [make_sms(supplier=supplier, gas=False)["ESME"] for _ in range(2)]


def post_json(client: APIClient, url: str, body: bytes | str):
    """POST a body exactly as given (the test client would refuse to encode a lone surrogate itself)."""
    return client.generic("POST", url, body, content_type="application/json")


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"code", "detail", "errors"} and body["detail"], body
    return body


def set_row(device, **extra) -> dict:
    return {"device_id": device.device_id, "restricted": True, "reason": "Consumer refused",
            "all_reasonable_steps_taken": True, **extra}


def nothing_written() -> bool:
    return not (RestrictionChange.objects.exists() or OutboxMessage.objects.exists()
                or RestrictionBulkJob.objects.exists())


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


# --- the error shape -------------------------------------------------------------------------

def test_nested_field_errors_are_summarised_by_their_path(api):
    """The detail once read ``device_ids: {1: [ErrorDetail(string='This field may not be null.', ...)]}``."""
    response = post_json(api, "/api/v1/incidents/install-code-requests/bulk/", '{"device_ids": ["x", null]}')

    body = assert_error_shape(response, 400)
    assert body["detail"] == "device_ids[1]: This field may not be null."
    assert body["errors"] == {"device_ids": {"1": ["This field may not be null."]}}


# --- 1. text PostgreSQL cannot store: refused up front, by one helper --------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("Consumer refused", None),
    ("Zoë's café \U0001F600", None),  # a real astral character is fine
    ("Consumer\x00refused", "NUL"),
    ("\udc00", "surrogate"),
    ("\ud83d", "surrogate"),  # half of an emoji
    ({"reason": ["ok", {"deep": "x\udfff"}]}, "surrogate"),
    ({"key\x00": "value"}, "NUL"),
    (["ok", 12, None, True], None),
])
def test_unstorable_text_is_recognised_anywhere_in_a_value(value, expected):
    from portal.text import unstorable_reason

    reason = unstorable_reason(value)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and expected in reason


def test_a_lone_surrogate_in_a_synchronous_bulk_row_is_a_400_naming_the_row_and_applies_nothing(api, meters):
    """Found as a 500 after row 1 was applied: its audit row and CSP message were written, the client told nothing."""
    rows = [set_row(meters[0]), set_row(meters[1], reason="\udc00")]

    response = post_json(api, "/api/v1/devices/restriction/bulk/", json.dumps({"changes": rows}))

    body = assert_error_shape(response, 400)
    assert body["code"] == "bad_characters" and "row 2" in body["detail"].lower()
    assert nothing_written()
    meters[0].refresh_from_db()
    assert not meters[0].restricted


def test_a_lone_surrogate_in_a_bulk_job_row_is_a_400_naming_the_row_and_stores_no_job(api, meters):
    rows = [set_row(meters[0]), set_row(meters[1], reason="\udc00")]

    response = post_json(api, "/api/v1/devices/restriction/bulk-jobs/", json.dumps({"changes": rows}))

    body = assert_error_shape(response, 400)
    assert body["code"] == "bad_characters" and "row 2" in body["detail"].lower()
    assert nothing_written()


@pytest.mark.parametrize(("role", "url", "body"), [
    # Each of these echoed the surrogate back in an error message, which then could not be rendered.
    ("supplier", "/api/v1/devices/restriction/bulk/", {"changes": [{"device_id": "00-DB-12-34-56-78-90-A0",
                                                                     "restricted": "\udc00", "reason": "x"}]}),
    ("supplier", "/api/v1/devices/restriction/bulk/", {"changes": [{"device_id": "\udc00", "restricted": True}]}),
    ("supplier", "/api/v1/devices/prenotify/", {"device_type": "\udc00"}),
    ("dcc", "/api/v1/cpl/", {"device_type": "\udc00"}),
    ("supplier", "/api/v1/devices/restriction/bulk-jobs/", {"changes": [{"device_id": "x", "\ud800": 1}]}),
])
def test_a_lone_surrogate_anywhere_in_a_json_body_is_a_400_not_a_500(api, dcc_api, role, url, body):
    client = dcc_api if role == "dcc" else api

    response = post_json(client, url, json.dumps(body))

    assert assert_error_shape(response, 400)["code"] == "bad_characters"
    assert nothing_written()


@pytest.mark.parametrize("reason", ["\udc00 refused", "Consumer\x00refused"])
def test_restriction_set_refuses_a_reason_that_cannot_be_stored_and_writes_nothing(supplier_user, meters, reason):
    with pytest.raises(ValidationFailed) as refused:
        restriction_set(device=meters[0], actor=supplier_user, restricted=True, reason=reason, attested=True,
                        channel=RestrictionChannel.API)

    assert refused.value.code == "bad_characters" and "reason" in refused.value.errors
    assert nothing_written()


@pytest.fixture
def incident(supplier, supplier_user):
    installer = SupplierFactory(code="MALI")
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=supplier, prenotifying_supplier=installer)
    return incident_raise_install_code_request(device_id=device.device_id, actor=supplier_user)[0]


@pytest.mark.parametrize("body", ["Still \udc00 waiting", "Still\x00waiting"])
def test_a_note_that_cannot_be_stored_is_refused_and_writes_nothing(incident, supplier_user, body):
    notes_before = IncidentNote.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        incident_add_note(incident=incident, actor=supplier_user, body=body)

    assert refused.value.code == "bad_characters" and "body" in refused.value.errors
    assert IncidentNote.objects.count() == notes_before


# --- 2. the install-code upload has the restriction upload's limits --------------------------------

@pytest.fixture
def parse_spy(monkeypatch):
    """Fails the test if the upload is read and parsed at all."""
    calls = []

    def refuse(data):
        calls.append(len(data))
        raise AssertionError("the oversized file was read")

    monkeypatch.setattr(incident_services, "parse_device_id_csv", refuse)
    return calls


@pytest.mark.parametrize("channel", ["page", "api"])
def test_an_install_code_upload_over_the_byte_cap_is_refused_before_it_is_read(api, page, parse_spy, channel):
    """Found holding a web worker for 18 s on 20 MB of blank lines, then answering 'No Device IDs were given'."""
    data = b"device_id\n" + b"\n" * (MAX_UPLOAD_BYTES + 1)

    if channel == "page":
        response = page.post("/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)})
        assert response.status_code == 200
        text = response.content.decode()
    else:
        response = api.post("/api/v1/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)},
                            format="multipart")
        text = assert_error_shape(response, 400)["detail"]

    assert "larger than 12 MB" in text
    assert parse_spy == []
    assert not Incident.objects.exists() and not IncidentBulkJob.objects.exists()


@pytest.mark.parametrize("channel", ["page", "api"])
def test_blank_lines_count_toward_the_install_code_row_limit(api, page, channel):
    data = b"device_id\n" + b"\n" * (INCIDENT_BULK_MAX_ROWS + 1)

    if channel == "page":
        response = page.post("/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)})
        text = response.content.decode()
    else:
        response = api.post("/api/v1/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)},
                            format="multipart")
        text = assert_error_shape(response, 400)["detail"]

    assert f"At most {INCIDENT_BULK_MAX_ROWS:,} rows" in text and "No Device IDs" not in text
    assert not Incident.objects.exists() and not IncidentBulkJob.objects.exists()


# --- 3a. crafted cursors: every list, through the one decoder --------------------------------------

def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CRAFTED_CURSORS = {
    "a list instead of a key": b64(b"[1, 2]"),
    "an object": b64(b'{"a": 1}'),
    "null": b64(b"null"),
    "a boolean": b64(b"true"),
    "a fraction": b64(b"1.5"),
    "a number out of range": b64(b"1" + b"0" * 30),
    "a NUL character": b64(b'"\\u0000"'),
    "a lone surrogate": b64(b'"\\udc00"'),
    "nested 5,000 deep": b64(b"[" * 5000 + b"]" * 5000),
    "not base64": "!!!***",
    "not UTF-8": b64(b"\xff\xfe"),
}
#: Lists keyed by an integer id, and lists keyed by a Device ID (text: "abc" is a position in that order).
INT_KEYED = ["/api/v1/incidents/", "/api/v1/parties/", "/api/v1/cpl/", "/api/v1/devices/restriction/bulk-jobs/",
             "/api/v1/devices/{device}/restriction-history/"]
TEXT_KEYED = ["/api/v1/devices/", "/api/v1/reports/restricted-firmware/"]
CURSOR_CASES = [
    *[(url, name, cursor) for url in INT_KEYED
      for name, cursor in {**CRAFTED_CURSORS, "text instead of a number": b64(b'"abc"')}.items()],
    *[(url, name, cursor) for url in TEXT_KEYED
      for name, cursor in {**CRAFTED_CURSORS, "a number instead of text": b64(b"12")}.items()],
    ("/api/v1/devices/", "longer than a Device ID", b64(json.dumps("0" * 24).encode())),
]
#: Every HTML list is keyed by an id (or a time and an id).
PAGE_CURSORS = {**CRAFTED_CURSORS, "text instead of a number": b64(b'"abc"')}


@pytest.mark.parametrize(("url", "cursor"), [(url, cursor) for url, _name, cursor in CURSOR_CASES],
                         ids=[f"{url}-{name}" for url, name, _cursor in CURSOR_CASES])
def test_crafted_cursor_is_a_400_not_a_500(dcc_api, meters, url, cursor):
    response = dcc_api.get(url.format(device=meters[0].device_id), {"cursor": cursor})

    body = assert_error_shape(response, 400)
    assert "cursor" in body["errors"]


def test_the_next_link_still_pages(dcc_api):
    first = dcc_api.get("/api/v1/parties/", {"limit": 1}).json()
    second = dcc_api.get(first["next"])
    assert second.status_code == 200 and second.json()["results"][0]["id"] > first["results"][0]["id"]


@pytest.mark.parametrize("cursor", list(PAGE_CURSORS.values()), ids=list(PAGE_CURSORS))
def test_crafted_cursor_on_the_incident_list_page_shows_the_first_page_with_a_message(page, incident, cursor):
    response = page.get("/incidents/", {"cursor": cursor})

    assert response.status_code == 200
    assert "page link is not valid" in response.content.decode()
    assert [row.pk for row in response.context["incidents"]] == [incident.pk]


@pytest.mark.parametrize("cursor", list(PAGE_CURSORS.values()), ids=list(PAGE_CURSORS))
def test_crafted_cursor_on_the_outbox_page_is_a_readable_400(dcc_page, cursor):
    response = dcc_page.get("/admin-tools/outbox/", {"cursor": cursor})

    assert response.status_code == 400 and "page link is not valid" in response.content.decode()


@pytest.mark.parametrize("url", ["/gateway/", "/gateway/alerts/sat/", "/inventory/cpl/"])
@pytest.mark.parametrize("cursor", [
    *PAGE_CURSORS.values(),
    b64(json.dumps(["9999-12-31T23:59:59-23:59", 1]).encode()),  # past the end of the calendar in UTC
    b64(json.dumps(["2026-01-01T00:00:00+00:00", 1, 2]).encode()),
    b64(json.dumps(["2026-01-01T00:00:00+00:00", "1"]).encode()),
    b64(json.dumps(["2026-01-01", 1]).encode()),  # no time zone
], ids=[*PAGE_CURSORS, "far future", "three parts", "text id", "naive time"])
def test_crafted_cursor_on_other_list_pages_is_a_message_not_a_500(dcc_page, url, cursor):
    response = dcc_page.get(url, {"cursor": cursor})

    assert response.status_code == 200
    text = response.content.decode().lower()
    assert "page link" in text or "page cursor" in text


# --- 3b. NUL in references and filters ----------------------------------------------------------------

def test_nul_in_an_incident_reference_is_not_found_not_a_500(api, page, incident):
    assert_error_shape(api.get("/api/v1/incidents/INC%00/"), 404)
    assert_error_shape(api.post("/api/v1/incidents/INC%00/close/", {}, format="json"), 404)
    assert page.get("/incidents/INC%00/").status_code == 404


@pytest.mark.parametrize("name", ["raised_by", "assigned_to"])
def test_nul_in_an_incident_filter_is_a_400_naming_the_filter(api, incident, name):
    body = assert_error_shape(api.get("/api/v1/incidents/", {name: "SUPA\x00"}), 400)
    assert name in body["errors"]


# --- 3c. JSON nested too deeply ----------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/v1/devices/restriction/bulk/", "/api/v1/devices/restriction/bulk-jobs/",
                                 "/api/v1/incidents/install-code-requests/", "/api/v1/service-requests/",
                                 "/api/v1/alerts/", "/api/v1/cpl/"])
def test_json_nested_100000_deep_is_a_400_not_a_500(api, url):
    response = post_json(api, url, "[" * 100_000 + "]" * 100_000)

    body = assert_error_shape(response, 400)
    assert "nested too deeply" in body["detail"]


def test_json_nested_deeper_than_any_request_needs_is_refused_before_it_is_stored(api, meters):
    """900 levels parse (under Python's recursion limit) but then broke storing the job's rows."""
    deep = "[" * 900 + "]" * 900
    row = json.dumps({"device_id": meters[0].device_id, "restricted": True, "reason": "x"})
    body = '{"changes": [' + row[:-1] + ', "extra": ' + deep + "}]}"

    response = post_json(api, "/api/v1/devices/restriction/bulk-jobs/", body)

    assert "nested too deeply" in assert_error_shape(response, 400)["detail"]
    assert nothing_written()


# --- 3d. CSV cells over the csv module's field limit, and CR line endings ---------------------------

def restriction_csv(*lines: str) -> bytes:
    return ("device_id,restricted,reason,all_reasonable_steps_taken\n" + "".join(lines)).encode()


def test_a_restriction_csv_cell_over_the_field_limit_is_refused_naming_the_row(page, meters):
    data = restriction_csv(f"{meters[0].device_id},true,Refused,true\n",
                           f"{meters[1].device_id},true,{'x' * (CSV_FIELD_LIMIT + 1)},true\n")

    response = page.post("/inventory/restrictions/bulk/", {"file": upload("changes.csv", data)})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Row 2" in text and "131,072 characters" in text
    assert nothing_written()


@pytest.mark.parametrize("channel", ["page", "api"])
def test_an_install_code_csv_cell_over_the_field_limit_is_refused_naming_the_row(api, page, supplier, channel):
    data = f"device_id,comment\n00-DB-12-34-56-78-90-A0,ok\n00-DB-12-34-56-78-90-A1,{'x' * (CSV_FIELD_LIMIT + 1)}\n"

    if channel == "page":
        response = page.post("/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data.encode())})
        assert response.status_code == 200
        text = response.content.decode()
    else:
        response = api.post("/api/v1/incidents/install-code-requests/bulk/",
                            {"file": upload("ids.csv", data.encode())}, format="multipart")
        text = assert_error_shape(response, 400)["detail"]

    assert "Row 2" in text and "131,072 characters" in text
    assert not Incident.objects.exists() and not IncidentBulkJob.objects.exists()


def test_a_restriction_csv_with_classic_mac_line_endings_is_read(page, meters):
    """Excel's 'CSV (Macintosh)' ends lines with CR alone: the csv module raised, a 500."""
    data = restriction_csv(f"{meters[0].device_id},true,Refused,true\n").replace(b"\n", b"\r")

    response = page.post("/inventory/restrictions/bulk/", {"file": upload("changes.csv", data)}, follow=True)
    assert "Confirm and apply 1 row" in response.content.decode()
    response = page.post(f"{response.redirect_chain[-1][0]}confirm/", follow=True)

    assert "1 of 1 rows applied" in response.content.decode()


def test_an_install_code_csv_with_classic_mac_line_endings_is_read(api, supplier):
    installer = SupplierFactory(code="MALJ")
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=supplier, prenotifying_supplier=installer)

    response = api.post("/api/v1/incidents/install-code-requests/bulk/",
                        {"file": upload("ids.csv", f"device_id\r{device.device_id}\r".encode())}, format="multipart")

    assert response.status_code == 200 and [r["ok"] for r in response.json()["results"]] == [True]


# --- 3e. gateway log dates at the end of the calendar --------------------------------------------

@pytest.mark.parametrize("url", ["/gateway/", "/gateway/alerts/sat/"])
@pytest.mark.parametrize("query", [{"date_to": "9999-12-31"}, {"date_from": "9999-12-31"},
                                   {"date_from": "0001-01-01"}])
def test_gateway_log_dates_beyond_any_log_are_a_form_error(dcc_page, dcc_party, url, query):
    ServiceRequestLog.objects.create(
        request_id="r-1", requested_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), party=dcc_party, srv="8.2",
        srv_category="inventory", device_id="00-DB-12-00-00-00-00-01", command_variant=8, response_code="I0",
        restricted_at_request=False, csp_region="North", channel=Channel.JSON,
    )

    response = dcc_page.get(url, query)

    assert response.status_code == 200
    field = next(iter(query))
    assert response.context["form"].errors[field]


# --- 3f. oversized bodies ------------------------------------------------------------------------

def test_an_oversized_json_body_is_a_413_in_the_api_error_shape(api, settings):
    """Django's own limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``) fired before the parser's: an HTML 400."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.API_MAX_JSON_BYTES = 1000
    body = json.dumps({"device_ids": ["00-DB-12-34-56-78-90-A0"] * 100})

    response = post_json(api, "/api/v1/incidents/install-code-requests/bulk/", body)

    body = assert_error_shape(response, 413)
    assert body["code"] == "request_too_large" and "1000 bytes" in body["detail"]
    assert not Incident.objects.exists()


def test_a_form_body_with_too_many_fields_is_a_400_in_the_api_error_shape(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"device_ids={number}" for number in range(20))

    response = api.generic("POST", "/api/v1/incidents/install-code-requests/bulk/", body,
                           content_type="application/x-www-form-urlencoded")

    assert assert_error_shape(response, 400)["code"] == "too_many_fields"


def test_an_oversized_form_post_to_a_page_is_a_readable_html_400(page, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = page.post("/incidents/install-code-requests/new/", {"device_id": "x" * 2000})

    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


# --- 3g. neighbours: result-page links with digits that are not ASCII ------------------------------

@pytest.mark.parametrize("after", ["\u00b2", "9" * 5000, "\u0661\u0662"])
def test_a_results_page_link_with_odd_digits_shows_the_first_page(page, supplier, supplier_user, after):
    restriction_job = RestrictionBulkJob.objects.create(party=supplier, user=supplier_user, rows=[], total_rows=0,
                                                        status="done")
    incident_job = IncidentBulkJob.objects.create(party=supplier, user=supplier_user, device_ids=[], total_rows=0,
                                                  status="done")

    for url in (f"/inventory/restrictions/bulk/{restriction_job.pk}/",
                f"/incidents/install-code-requests/bulk/{incident_job.pk}/"):
        assert page.get(url, {"after": after}).status_code == 200, url
