"""R202-3: joining a PPMID to a hub resolves its SMETS version to the hub's (seed 003's four-row table)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.choices import DeviceStatus, DeviceType, SmetsVersion
from inventory.models import CPLEntry, Device
from inventory.services.devices import device_join_hub, device_prenotify
from portal.errors import Conflict, PermissionDenied, RuleRefused
from tests.factories import DeviceFactory
from tests.inventory.mp202_fixtures import *  # noqa: F403 (fixtures)
from tests.inventory.mp202_fixtures import PPMID_MODEL, prenotify_kwargs

pytestmark = pytest.mark.django_db

S1, S2 = SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS
#: Seed 003, "PPMID SMETS versioning": pre-notified as, hub's SMETS version, resulting SMI version.
PPMID_SMETS_VERSIONING = [(S1, S1, S1), (S1, S2, S2), (S2, S1, S1), (S2, S2, S2)]


@pytest.mark.parametrize(("prenotified", "hub_version", "resulting"), PPMID_SMETS_VERSIONING)
def test_ppmid_takes_the_hubs_smets_version_when_joined(supplier_user, dual_mode_ppmid, make_hub,
                                                       prenotified, hub_version, resulting):
    ppmid = device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", prenotified))
    hub = make_hub(hub_version)
    device_join_hub(actor=supplier_user, device=ppmid, hub=hub)
    ppmid.refresh_from_db()
    assert ppmid.smets_version == resulting
    assert ppmid.cpl_entry == dual_mode_ppmid[resulting]
    assert ppmid.hub == hub
    assert ppmid.status == DeviceStatus.WHITELISTED


@pytest.mark.parametrize(("listed", "hub_version"), [(S2, S1), (S1, S2)])
def test_ppmid_without_a_cpl_row_for_the_hubs_version_is_refused_and_unchanged(supplier_user, make_hub,
                                                                               listed, hub_version):
    entry = CPLEntry.objects.create(device_type=DeviceType.PPMID, smets_version=listed, **PPMID_MODEL)
    ppmid = device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", listed))
    hub = make_hub(hub_version)
    with pytest.raises(RuleRefused) as refused:
        device_join_hub(actor=supplier_user, device=ppmid, hub=hub)
    assert f"no {hub_version} row on the Central Products List" in refused.value.detail
    ppmid.refresh_from_db()
    assert (ppmid.smets_version, ppmid.cpl_entry, ppmid.hub, ppmid.status) == (listed, entry, None, DeviceStatus.PENDING)


def test_single_mode_device_must_match_the_hubs_smets_version(supplier, supplier_user, make_hub):
    ihd = DeviceFactory(device_type=DeviceType.IHD, smets_version=S1, status=DeviceStatus.PENDING,
                        responsible_supplier=supplier)
    with pytest.raises(RuleRefused) as refused:
        device_join_hub(actor=supplier_user, device=ihd, hub=make_hub(S2))
    assert refused.value.code == "join_smets_version_mismatch"
    ihd.refresh_from_db()
    assert ihd.hub is None and ihd.smets_version == S1


def test_single_mode_device_joins_a_hub_of_its_version_unchanged(supplier, supplier_user, make_hub):
    esme = DeviceFactory(device_type=DeviceType.ESME, smets_version=S2, status=DeviceStatus.PENDING,
                         responsible_supplier=supplier)
    entry = esme.cpl_entry
    hub = make_hub(S2)
    device_join_hub(actor=supplier_user, device=esme, hub=hub)
    esme.refresh_from_db()
    assert (esme.hub, esme.smets_version, esme.cpl_entry, esme.status) == (hub, S2, entry, DeviceStatus.WHITELISTED)


def test_only_the_responsible_supplier_or_dcc_may_join(make_user, other_supplier, dcc_party, supplier_user,
                                                       dual_mode_ppmid, make_hub):
    ppmid = device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", S1))
    hub = make_hub(S2)
    with pytest.raises(PermissionDenied):
        device_join_hub(actor=make_user(other_supplier), device=ppmid, hub=hub)
    ppmid.refresh_from_db()
    assert ppmid.hub is None and ppmid.smets_version == S1
    device_join_hub(actor=make_user(dcc_party), device=ppmid, hub=hub)
    ppmid.refresh_from_db()
    assert ppmid.smets_version == S2


def test_target_must_be_a_usable_hub(supplier, supplier_user, dual_mode_ppmid, make_hub):
    ppmid = device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", S1))
    meter = DeviceFactory(device_type=DeviceType.ESME, responsible_supplier=supplier)
    with pytest.raises(RuleRefused):
        device_join_hub(actor=supplier_user, device=ppmid, hub=meter)
    with pytest.raises(Conflict):
        device_join_hub(actor=supplier_user, device=ppmid, hub=make_hub(S2, status=DeviceStatus.DECOMMISSIONED))
    assert Device.objects.get(pk=ppmid.pk).hub is None


def test_decommissioned_device_cannot_join(supplier, supplier_user, dual_mode_ppmid, make_hub):
    ppmid = DeviceFactory(device_type=DeviceType.PPMID, smets_version=S1, cpl_entry=dual_mode_ppmid[S1],
                          status=DeviceStatus.DECOMMISSIONED, responsible_supplier=supplier)
    with pytest.raises(Conflict):
        device_join_hub(actor=supplier_user, device=ppmid, hub=make_hub(S2))
    ppmid.refresh_from_db()
    assert ppmid.hub is None and ppmid.smets_version == S1


# --- REST: POST /api/v1/devices/<device_id>/join/ and the SSMI join page ---------------------------------

@pytest.mark.parametrize(("prenotified", "hub_version", "resulting"), PPMID_SMETS_VERSIONING)
def test_ppmid_smets_versioning_table_through_the_rest_api(api_client_for, supplier, dual_mode_ppmid, make_hub,
                                                           prenotified, hub_version, resulting):
    client = api_client_for(supplier)
    created = client.post("/api/v1/devices/prenotify/", prenotify_kwargs("00-DB-12-34-56-78-90-A0", prenotified),
                          format="json")
    assert created.json()["smets_version"] == prenotified
    hub = make_hub(hub_version)
    joined = client.post("/api/v1/devices/00-db-12-34-56-78-90-a0/join/", {"hub_id": hub.device_id.lower()},
                         format="json")
    assert joined.status_code == 200, joined.json()
    assert (joined.json()["smets_version"], joined.json()["hub"], joined.json()["status"]) == (
        resulting, hub.device_id, "Whitelisted")
    listed = client.get("/api/v1/devices/", {"smets_version": resulting, "device_type": "PPMID"}).json()["results"]
    assert [row["device_id"] for row in listed] == ["00-DB-12-34-56-78-90-A0"]


def test_rest_join_refusal_is_422_and_unknown_hub_404(api_client_for, supplier, supplier_user, make_hub):
    CPLEntry.objects.create(device_type=DeviceType.PPMID, smets_version=S2, **PPMID_MODEL)
    device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", S2))
    client = api_client_for(supplier)
    url = "/api/v1/devices/00-DB-12-34-56-78-90-A0/join/"
    refused = client.post(url, {"hub_id": make_hub(S1).device_id}, format="json")
    assert refused.status_code == 422 and refused.json()["code"] == "join_no_cpl_row_for_hub_version"
    assert client.post(url, {"hub_id": "00-DB-12-FF-FF-FF-FF-FF"}, format="json").status_code == 404
    assert Device.objects.get(device_id="00-DB-12-34-56-78-90-A0").hub is None


def test_rest_join_of_a_device_the_party_cannot_see_is_404(api_client_for, other_supplier, supplier_user,
                                                            dual_mode_ppmid, make_hub):
    device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", S1))
    response = api_client_for(other_supplier).post(
        "/api/v1/devices/00-DB-12-34-56-78-90-A0/join/", {"hub_id": make_hub(S2).device_id}, format="json")
    assert response.status_code == 404


def test_join_page_joins_and_says_what_changed(client, supplier_user, dual_mode_ppmid, make_hub):
    device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", S1))
    hub = make_hub(S2)
    client.force_login(supplier_user)
    url = reverse("inventory:device-join", args=["00-DB-12-34-56-78-90-A0"])
    page = client.get(url)
    assert page.status_code == 200 and "Dual-mode" in page.content.decode()
    response = client.post(url, {"hub_id": hub.device_id}, follow=True)
    assert "its SMETS version changed from SMETS1 to SMETS2+" in response.content.decode()
    assert Device.objects.get(device_id="00-DB-12-34-56-78-90-A0").smets_version == S2


def test_join_page_shows_the_refusal(client, supplier_user, make_hub):
    CPLEntry.objects.create(device_type=DeviceType.PPMID, smets_version=S2, **PPMID_MODEL)
    device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", S2))
    client.force_login(supplier_user)
    response = client.post(reverse("inventory:device-join", args=["00-DB-12-34-56-78-90-A0"]),
                           {"hub_id": make_hub(S1).device_id})
    assert response.status_code == 422
    assert "has no SMETS1 row on the Central Products List" in response.content.decode()


def test_device_page_links_to_the_join_action_for_suppliers_only(client, db):
    from django.urls import reverse

    from tests.factories import DeviceFactory, NetworkOperatorFactory, SupplierFactory, UserFactory

    supplier = SupplierFactory(code="JNLK")
    operator = NetworkOperatorFactory(code="JNOP")
    ppmid = DeviceFactory(device_type="PPMID", responsible_supplier=supplier, network_operator=operator, hub=None,
                          status="Pending")
    join_url = reverse("inventory:device-join", args=[ppmid.device_id])
    client.force_login(UserFactory(party=supplier))
    assert join_url in client.get(reverse("inventory:device-detail", args=[ppmid.device_id])).content.decode()
    # A commissioned meter is installed: joining is not offered (issue 19, "Join to a hub" on a commissioned meter).
    commissioned = DeviceFactory(device_type="ESME", responsible_supplier=supplier, hub=None, status="Commissioned")
    assert reverse("inventory:device-join", args=[commissioned.device_id]) not in client.get(
        reverse("inventory:device-detail", args=[commissioned.device_id])).content.decode()
    client.force_login(UserFactory(party=operator))
    assert join_url not in client.get(reverse("inventory:device-detail", args=[ppmid.device_id])).content.decode()
    # A supplier that pre-notified the device but is no longer responsible for it sees it (until it is
    # commissioned under the gaining supplier), but may not join it.
    gaining = SupplierFactory(code="JNGN")
    ppmid.prenotifying_supplier, ppmid.responsible_supplier = supplier, gaining
    ppmid.status = "InstalledNotCommissioned"
    ppmid.save()
    client.force_login(UserFactory(party=supplier))
    page = client.get(reverse("inventory:device-detail", args=[ppmid.device_id]))
    assert page.status_code == 200 and join_url not in page.content.decode()
    client.force_login(UserFactory(party=gaining))
    assert join_url in client.get(reverse("inventory:device-detail", args=[ppmid.device_id])).content.decode()
