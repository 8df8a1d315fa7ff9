"""Issue 14 finding 4: no browser or proxy keeps a copy of a page or API answer holding personal or secret data.

The API-token page shows a new key once; device and incident pages show MPxNs, addresses and who
supplies whom. Every response to an authenticated request (a browser session or an API token) carries
``Cache-Control: no-store, private``; static files and the login page keep their own caching.
"""
from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from incidents.services import incident_raise_install_code_request
from inventory.choices import DeviceStatus
from portal.services import api_token_issue
from tests.factories import DeviceFactory, SupplierFactory, make_sms

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def _no_store(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.fixture
def browser(supplier_user) -> Client:
    client = Client()
    client.force_login(supplier_user)
    return client


def test_the_api_token_page_showing_a_new_key_is_not_stored(browser):
    response = browser.post("/account/api-tokens/", {"name": "billing system"})

    assert response.status_code == 200 and response.context["new_key"]
    assert _no_store(response), response.get("Cache-Control")
    assert _no_store(browser.get("/account/api-tokens/"))


def test_a_device_page_is_not_stored(browser, supplier_user):
    device = make_sms(supplier=supplier_user.party)["ESME"]

    response = browser.get(f"/inventory/devices/{device.device_id}/")

    assert response.status_code == 200
    assert _no_store(response), response.get("Cache-Control")


def test_an_incident_page_is_not_stored(browser, supplier_user):
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=supplier_user.party, prenotifying_supplier=SupplierFactory())
    incident, _created = incident_raise_install_code_request(device_id=device.device_id, actor=supplier_user)

    response = browser.get(f"/incidents/{incident.reference}/")

    assert response.status_code == 200
    assert _no_store(response), response.get("Cache-Control")


def test_an_api_device_detail_is_not_stored(supplier_user):
    device = make_sms(supplier=supplier_user.party)["ESME"]
    _token, key = api_token_issue(user=supplier_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get(f"/api/v1/devices/{device.device_id}/")

    assert response.status_code == 200
    assert _no_store(response), response.get("Cache-Control")


@pytest.mark.parametrize("path", ["/", "/inventory/", "/incidents/", "/reports/"])
def test_every_authenticated_page_is_not_stored(browser, path):
    response = browser.get(path)

    assert response.status_code == 200
    assert _no_store(response), f"{path}: {response.get('Cache-Control')}"


def test_a_refusal_to_an_authenticated_api_client_is_not_stored_either(supplier_user):
    _token, key = api_token_issue(user=supplier_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get("/api/v1/devices/00-DB-FF-FF-FF-FF-FF-FF/")

    assert response.status_code == 404 and _no_store(response)


def test_static_files_and_the_login_page_keep_their_caching():
    visitor = Client()

    static = visitor.get("/static/portal.css")
    login = visitor.get("/accounts/login/")

    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")
    # The login page is Django's own never_cache page: unchanged by the middleware.
    assert login.status_code == 200 and login["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
