"""R202-2: a device is pre-notified with a SMETS version, checked against the CPL."""
from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.choices import CPLStatus, DeviceStatus, DeviceType, SmetsVersion
from inventory.models import CPLEntry, Device
from inventory.services.devices import device_prenotify
from portal.errors import Conflict, PermissionDenied, RuleRefused, ValidationFailed
from tests.factories import CPLEntryFactory
from tests.inventory.mp202_fixtures import *  # noqa: F403 (fixtures)
from tests.inventory.mp202_fixtures import prenotify_kwargs

pytestmark = pytest.mark.django_db

DEVICE_ID = "00-DB-12-34-56-78-90-A0"


@pytest.mark.parametrize("smets_version", [SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS])
def test_supplier_prenotifies_a_ppmid_as_pending_with_its_smets_version(supplier_user, supplier, dual_mode_ppmid,
                                                                       smets_version):
    device = device_prenotify(actor=supplier_user, **prenotify_kwargs(DEVICE_ID.lower(), smets_version,
                                                                       mpxn="1312345678111", csp_region="North"))
    device.refresh_from_db()
    assert device.device_id == DEVICE_ID
    assert device.status == DeviceStatus.PENDING
    assert device.smets_version == smets_version
    assert device.cpl_entry == dual_mode_ppmid[smets_version]
    assert device.prenotifying_supplier == supplier and device.responsible_supplier == supplier
    assert device.hub is None and device.date_commissioned is None
    assert (device.mpxn, device.csp_region) == ("1312345678111", "North")


@pytest.mark.parametrize("overrides", [
    {"model": "PPMID-999"},
    {"firmware_version": "9.9.9"},
    {"manufacturer": "OTHER"},
])
def test_unknown_model_or_firmware_is_refused_and_nothing_written(supplier_user, dual_mode_ppmid, overrides):
    with pytest.raises(RuleRefused) as refused:
        device_prenotify(actor=supplier_user, **prenotify_kwargs(DEVICE_ID, SmetsVersion.SMETS2_PLUS, **overrides))
    assert refused.value.code == "not_on_cpl"
    assert "not on the Central Products List for SMETS2+" in refused.value.detail
    assert not Device.objects.exists()


def test_model_listed_only_for_the_other_smets_version_is_refused(supplier_user):
    CPLEntryFactory(device_type=DeviceType.PPMID, model="PPMID-S2", smets_version=SmetsVersion.SMETS2_PLUS)
    with pytest.raises(RuleRefused) as refused:
        device_prenotify(actor=supplier_user, **prenotify_kwargs(
            DEVICE_ID, SmetsVersion.SMETS1, model="PPMID-S2", firmware_version="1.0.0"))
    assert refused.value.code == "not_on_cpl"
    assert not Device.objects.exists()


@pytest.mark.parametrize("status", [CPLStatus.WITHDRAWN, CPLStatus.CANCELLED, CPLStatus.EXPIRED])
def test_model_not_active_on_the_cpl_is_refused(supplier_user, dual_mode_ppmid, status):
    CPLEntry.objects.filter(pk=dual_mode_ppmid[SmetsVersion.SMETS1].pk).update(status=status)
    with pytest.raises(RuleRefused) as refused:
        device_prenotify(actor=supplier_user, **prenotify_kwargs(DEVICE_ID, SmetsVersion.SMETS1))
    assert refused.value.code == "cpl_entry_not_active"
    assert status in refused.value.detail
    assert not Device.objects.exists()


def test_device_type_must_match_the_cpl(supplier_user, dual_mode_ppmid):
    with pytest.raises(RuleRefused) as refused:
        device_prenotify(actor=supplier_user, **prenotify_kwargs(DEVICE_ID, SmetsVersion.SMETS1, device_type="IHD"))
    assert refused.value.code == "cpl_device_type_mismatch"
    assert not Device.objects.exists()


def test_duplicate_device_id_is_refused(supplier_user, dual_mode_ppmid):
    device_prenotify(actor=supplier_user, **prenotify_kwargs(DEVICE_ID, SmetsVersion.SMETS1))
    with pytest.raises(Conflict) as refused:
        device_prenotify(actor=supplier_user, **prenotify_kwargs(DEVICE_ID, SmetsVersion.SMETS2_PLUS))
    assert refused.value.code == "device_exists"
    assert Device.objects.get().smets_version == SmetsVersion.SMETS1


def test_malformed_input_is_refused_with_field_errors(supplier_user, dual_mode_ppmid):
    with pytest.raises(ValidationFailed) as refused:
        device_prenotify(actor=supplier_user, **prenotify_kwargs(
            "00-DB-12", "SMETS3", device_type="METER", mpxn="12ab", csp_region="Mars"))
    assert set(refused.value.errors) == {"device_id", "smets_version", "device_type", "mpxn", "csp_region"}
    assert not Device.objects.exists()


def test_only_suppliers_may_prenotify(make_user, network_operator, dcc_party, dual_mode_ppmid):
    for party in (network_operator, dcc_party):
        with pytest.raises(PermissionDenied):
            device_prenotify(actor=make_user(party), **prenotify_kwargs(DEVICE_ID, SmetsVersion.SMETS1))
    assert not Device.objects.exists()


# --- REST: POST /api/v1/devices/prenotify/ ------------------------------------------------------------

def test_rest_prenotification_creates_a_pending_device(api_client_for, supplier, dual_mode_ppmid):
    response = api_client_for(supplier).post("/api/v1/devices/prenotify/", prenotify_kwargs(
        DEVICE_ID.lower(), "SMETS1", mpxn="1312345678111"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["device_id"], body["status"], body["smets_version"]) == (DEVICE_ID, "Pending", "SMETS1")
    assert body["prenotifying_supplier"] == supplier.pk == body["responsible_supplier"]


def test_prenotified_postcode_is_stored_normalised_so_search_finds_it(api_client_for, supplier, dual_mode_ppmid):
    client = api_client_for(supplier)
    response = client.post("/api/v1/devices/prenotify/", {**prenotify_kwargs(DEVICE_ID, "SMETS1"), "postcode": "sw1a1aa"},
                           format="json")
    assert response.status_code == 201, response.json()
    assert Device.objects.get(device_id=DEVICE_ID).postcode == "SW1A 1AA"
    found = client.get("/api/v1/devices/", {"q": "sw1a 1aa"}).json()["results"]
    assert [device["device_id"] for device in found] == [DEVICE_ID]


def test_rest_prenotification_of_unknown_firmware_is_422_and_nothing_written(api_client_for, supplier, dual_mode_ppmid):
    response = api_client_for(supplier).post("/api/v1/devices/prenotify/", prenotify_kwargs(
        DEVICE_ID, "SMETS2+", firmware_version="9.9.9"), format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "not_on_cpl"
    assert not Device.objects.exists()


def test_rest_duplicate_prenotification_is_409(api_client_for, supplier, dual_mode_ppmid):
    client = api_client_for(supplier)
    assert client.post("/api/v1/devices/prenotify/", prenotify_kwargs(DEVICE_ID, "SMETS1"), format="json").status_code == 201
    response = client.post("/api/v1/devices/prenotify/", prenotify_kwargs(DEVICE_ID, "SMETS2+"), format="json")
    assert response.status_code == 409 and response.json()["code"] == "device_exists"


def test_rest_prenotification_by_a_network_operator_is_403(api_client_for, network_operator, dual_mode_ppmid):
    response = api_client_for(network_operator).post(
        "/api/v1/devices/prenotify/", prenotify_kwargs(DEVICE_ID, "SMETS1"), format="json")
    assert response.status_code == 403 and not Device.objects.exists()


# --- SSMI page -----------------------------------------------------------------------------------------

def test_prenotify_page_adds_the_device_and_leads_to_joining(client, supplier_user, dual_mode_ppmid):
    client.force_login(supplier_user)
    url = reverse("inventory:device-prenotify")
    assert client.get(url).status_code == 200
    response = client.post(url, prenotify_kwargs(DEVICE_ID, "SMETS2+", csp_region=""))
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:device-join", args=[DEVICE_ID])
    assert Device.objects.get().smets_version == "SMETS2+"


def test_prenotify_page_shows_why_unknown_firmware_is_refused(client, supplier_user, dual_mode_ppmid):
    client.force_login(supplier_user)
    response = client.post(reverse("inventory:device-prenotify"),
                           prenotify_kwargs(DEVICE_ID, "SMETS1", firmware_version="9.9.9"))
    assert response.status_code == 422
    assert "is not on the Central Products List for SMETS1" in response.content.decode()
    assert not Device.objects.exists()


def test_prenotify_page_is_forbidden_to_non_suppliers(client, make_user, network_operator):
    client.force_login(make_user(network_operator))
    assert client.get(reverse("inventory:device-prenotify")).status_code == 403
