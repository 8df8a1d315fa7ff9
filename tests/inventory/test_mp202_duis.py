"""MP202 through the gateway: the real DUIS 12.2 and 8.11 requests pre-notify and join through the body-handler
registry, the seed's four-row table end to end (DUIS, 8.2 Read Inventory, devices API), and the SRV 11.4 firmware
gate through ``POST /api/v1/service-requests/`` and ``POST /duis/``.

Since issue 16 every DUIS request is signed by the real client (the DCC Boxed tool, ``tests.gateway.duis_client``)
for the test supplier User ID that party HRTH holds, so ``supplier`` here is HRTH."""
from __future__ import annotations

import pytest
from lxml import etree

from gateway import catalogue_data
from gateway.catalogue import catalogue_cache_clear
from gateway.duis import mp202 as duis_handlers
from gateway.models import (
    AlertCode,
    RestrictedAlertAllowance,
    RestrictedSrvAllowance,
    ServiceReferenceVariant,
    ServiceRequestLog,
)
from inventory.choices import CPLStatus, DeviceStatus, DeviceType, SmetsVersion
from inventory.models import CPLEntry, Device
from tests.duis_samples import duis
from tests.factories import CPLEntryFactory, DeviceFactory, HubFactory
from tests.gateway.duis_client import DuisSender
from tests.inventory.mp202_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
DEVICE = "00-DB-12-34-56-78-90-A0"  # the device in the 12.2 and 8.11 samples
HUB = "00-DB-12-34-56-78-90-A2"  # the 8.11 sample's target (its RequestID's middle EUI-64)
S1, S2 = SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS
PPMID_SMETS_VERSIONING = [(S1, S1, S1), (S1, S2, S2), (S2, S1, S1), (S2, S2, S2)]


@pytest.fixture(autouse=True)
def gateway_ready(db):
    """The SRV catalogue (a data migration a transactional test elsewhere may have flushed) and MP202's
    registrations (a gateway test may have unregistered a handler it replaced)."""
    if not ServiceReferenceVariant.objects.exists():
        srvs = catalogue_data.srv_rows()
        alerts = catalogue_data.alert_rows()
        ServiceReferenceVariant.objects.bulk_create([ServiceReferenceVariant(**row) for row in srvs])
        AlertCode.objects.bulk_create([AlertCode(**row) for row in alerts])
        RestrictedSrvAllowance.objects.bulk_create(
            [RestrictedSrvAllowance(srv_id=s) for s in catalogue_data.initially_allowed_srvs(srvs)])
        RestrictedAlertAllowance.objects.bulk_create(
            [RestrictedAlertAllowance(alert_id=c) for c in catalogue_data.initially_allowed_alerts(alerts)])
    catalogue_cache_clear()
    duis_handlers.register()
    yield
    catalogue_cache_clear()


def prenotification(smets_text: str = "SMETS V1.58", **fields: str) -> bytes:
    """The real 12.2 request; by default its ESME, else a PPMID of the dual-mode model."""
    replacements = {"<sr:SMETSCHTSVersion>SMETS V1.58</sr:SMETSCHTSVersion>":
                    f"<sr:SMETSCHTSVersion>{smets_text}</sr:SMETSCHTSVersion>"}
    if fields.get("ppmid"):
        replacements.update({
            "<sr:DeviceManufacturer>AB01<": "<sr:DeviceManufacturer>ACME<",
            "<sr:DeviceModel>010A030B<": "<sr:DeviceModel>PPMID-200<",
            "<sr:DeviceType>ESME<": "<sr:DeviceType>PPMID<",
            "<sr:FirmwareVersion>0002012F<": f"<sr:FirmwareVersion>{fields.get('firmware', '2.0.0')}<",
            "<sr:ESMEVariant>AD</sr:ESMEVariant>": "",
        })
    return duis("12.2", replacements)


def post_duis(client, data: bytes, **signing) -> str:
    """Send a DUIS request signed by the DCC Boxed tool through the client's API token."""
    response = client.duis.post(data, **signing)
    assert response.status_code == 200, response.content
    return etree.fromstring(response.content).findtext(f"{SR}Header/{SR}ResponseCode")


@pytest.fixture
def supplier(duis_identities):
    """HRTH, which holds the test supplier User ID the reference requests are sent from."""
    return duis_identities[0]


@pytest.fixture
def client(api_client_for, supplier, boxed_tool):
    """A REST client of the supplier that also sends signed DUIS (``client.duis``)."""
    api = api_client_for(supplier)
    api.duis = DuisSender(api, boxed_tool)
    return api


def test_real_12_2_sample_prenotifies_its_esme(client, supplier):
    entry = CPLEntryFactory(device_type=DeviceType.ESME, manufacturer="AB01", model="010A030B",
                            firmware_version="0002012F", smets_version=S2)
    assert post_duis(client, prenotification()) == "I0"
    device = Device.objects.get(device_id=DEVICE)
    assert (device.status, device.smets_version, device.cpl_entry) == (DeviceStatus.PENDING, S2, entry)
    assert device.prenotifying_supplier == supplier == device.responsible_supplier
    assert ServiceRequestLog.objects.get(srv="12.2").response_code == "I0"


def test_12_2_for_a_model_not_on_the_cpl_is_refused_and_nothing_written(client):
    assert post_duis(client, prenotification()) == "E120203"
    assert not Device.objects.exists()
    log = ServiceRequestLog.objects.get(srv="12.2")
    assert log.response_code == "E120203" and "not on the Central Products List" in log.detail


def test_12_2_for_a_device_already_in_the_smi_is_refused(client, dual_mode_ppmid):
    assert post_duis(client, prenotification("SMETS1 V1.2", ppmid=True)) == "I0"
    assert post_duis(client, prenotification("SMETS V4.1", ppmid=True)) == "E120201"
    assert Device.objects.get(device_id=DEVICE).smets_version == S1


def test_12_2_with_firmware_listed_only_as_withdrawn_is_refused(client, dual_mode_ppmid):
    CPLEntry.objects.filter(smets_version=S1).update(status=CPLStatus.WITHDRAWN)
    assert post_duis(client, prenotification("SMETS1", ppmid=True)) == "E120203"
    assert not Device.objects.exists()


@pytest.mark.parametrize(("prenotified", "hub_version", "resulting"), PPMID_SMETS_VERSIONING)
def test_ppmid_smets_versioning_table_through_duis_8_2_and_the_devices_api(
        client, supplier, dual_mode_ppmid, prenotified, hub_version, resulting):
    smets_text = "SMETS1 V1.2" if prenotified == S1 else "SMETS V4.1"
    assert post_duis(client, prenotification(smets_text, ppmid=True)) == "I0"
    assert Device.objects.get(device_id=DEVICE).smets_version == prenotified
    HubFactory(device_id=HUB, smets_version=hub_version, responsible_supplier=supplier)

    assert post_duis(client, duis("8.11")) == "I99"

    ppmid = Device.objects.get(device_id=DEVICE)
    assert (ppmid.smets_version, ppmid.cpl_entry, ppmid.hub.device_id) == (resulting, dual_mode_ppmid[resulting], HUB)
    read_inventory = duis("8.2", {f"<sr:DeviceID>{HUB}<": f"<sr:DeviceID>{DEVICE}<"})
    inventory = client.duis.post(read_inventory)
    # 8.2 writes the technical version as the DSP does (issue 16): SMETS1, or "SMETS V5.0" for SMETS2+.
    dsp_form = {S1: "SMETS1", S2: "SMETS V5.0"}[resulting]
    device_node = next(d for d in etree.fromstring(inventory.content).iter(f"{SR}Device")
                       if d.findtext(f"{SR}DeviceID") == DEVICE)
    assert device_node.findtext(f"{SR}SMETSCHTSVersion") == dsp_form
    assert client.get(f"/api/v1/devices/{DEVICE}/").json()["smets_version"] == resulting


def test_8_11_refused_when_the_cpl_has_no_row_for_the_hubs_version(client, supplier):
    CPLEntryFactory(device_type=DeviceType.PPMID, manufacturer="ACME", model="PPMID-200", firmware_version="2.0.0",
                    smets_version=S2)
    assert post_duis(client, prenotification("SMETS V4.1", ppmid=True)) == "I0"
    HubFactory(device_id=HUB, smets_version=S1, responsible_supplier=supplier)
    assert post_duis(client, duis("8.11")) == "E5"
    ppmid = Device.objects.get(device_id=DEVICE)
    assert (ppmid.smets_version, ppmid.hub, ppmid.status) == (S2, None, DeviceStatus.PENDING)
    assert "no SMETS1 row on the Central Products List" in ServiceRequestLog.objects.get(srv="8.11").detail


def test_8_11_of_a_device_not_in_the_smi_is_e19(client, supplier):
    HubFactory(device_id=HUB, smets_version=S2, responsible_supplier=supplier)
    assert post_duis(client, duis("8.11")) == "E19"


def test_8_11_by_another_supplier_is_refused(api_client_for, other_supplier, supplier, dual_mode_ppmid, client,
                                            boxed_tool, demo_identities):
    assert post_duis(client, prenotification("SMETS1", ppmid=True)) == "I0"
    HubFactory(device_id=HUB, smets_version=S2, responsible_supplier=other_supplier)
    # The other supplier signs with its own User ID (a demo-CA certificate): only HRTH holds the test one.
    theirs = demo_identities(other_supplier, "90-B3-D5-1F-30-0B-00-01", "IS")
    other = api_client_for(other_supplier)
    other.duis = DuisSender(other, boxed_tool)
    assert post_duis(other, duis("8.11"), identity=theirs) == "E2"
    assert Device.objects.get(device_id=DEVICE).smets_version == S1


@pytest.fixture
def enrolled_ppmid(client, supplier, dual_mode_ppmid):
    """A dual-mode PPMID pre-notified and joined (via DUIS) to a hub of the given version, then commissioned."""
    def _enrolled(hub_version: str) -> Device:
        assert post_duis(client, prenotification("SMETS1", ppmid=True)) == "I0"
        HubFactory(device_id=HUB, smets_version=hub_version, responsible_supplier=supplier)
        assert post_duis(client, duis("8.11")) == "I99"
        Device.objects.filter(device_id=DEVICE).update(status=DeviceStatus.COMMISSIONED)
        return Device.objects.get(device_id=DEVICE)

    return _enrolled


def firmware_11_4(device_id: str = DEVICE) -> bytes:
    """SRV 11.4 Update PPMID Firmware: the real 11.1 request re-addressed (the two bodies have the same shape)."""
    return duis("11.1", {
        "<sr:ServiceReference>11.1<": "<sr:ServiceReference>11.4<",
        "<sr:ServiceReferenceVariant>11.1<": "<sr:ServiceReferenceVariant>11.4<",
        "<sr:UpdateFirmware>": "<sr:UpdatePPMIDFirmware>", "</sr:UpdateFirmware>": "</sr:UpdatePPMIDFirmware>",
        "<sr:DeviceIDList>00-DB-12-34-56-78-90-A0<": f"<sr:DeviceIDList>{device_id}<",
    })


@pytest.mark.parametrize(("hub_version", "code"), [(S2, "I99"), (S1, "E5")])
def test_firmware_gate_through_rest_service_requests(client, enrolled_ppmid, hub_version, code):
    enrolled_ppmid(hub_version)
    response = client.post("/api/v1/service-requests/", {"srv": "11.4", "device_id": DEVICE, "command_variant": 8},
                           format="json")
    assert response.status_code == 200
    assert response.json()["response_code"] == code
    if code == "E5":
        assert "enrolled in a SMETS1 Smart Metering System" in response.json()["detail"]
    assert ServiceRequestLog.objects.get(srv="11.4").response_code == code


@pytest.mark.parametrize(("hub_version", "code"), [(S2, "I99"), (S1, "E5")])
def test_firmware_gate_through_duis(client, enrolled_ppmid, hub_version, code):
    enrolled_ppmid(hub_version)
    assert post_duis(client, firmware_11_4()) == code


def test_firmware_gate_applies_to_every_ppmid_of_the_device_list(client, supplier, enrolled_ppmid):
    enrolled_ppmid(S1)  # DEVICE: a PPMID in a SMETS1 SMS
    good_hub = HubFactory(smets_version=S2, responsible_supplier=supplier)
    good = DeviceFactory(device_type=DeviceType.PPMID, smets_version=S2, hub=good_hub, responsible_supplier=supplier,
                         status=DeviceStatus.COMMISSIONED)
    listed = firmware_11_4(good.device_id)
    assert post_duis(client, listed) == "I99"
    both = listed.replace(f"<sr:DeviceIDList>{good.device_id}<".encode(),
                          f"<sr:DeviceIDList>{good.device_id},{DEVICE}<".encode())
    assert post_duis(client, both) == "E5"


def test_firmware_gate_refuses_a_ppmid_not_joined_to_a_hub(client, supplier, dual_mode_ppmid):
    assert post_duis(client, prenotification("SMETS V4.1", ppmid=True)) == "I0"
    Device.objects.filter(device_id=DEVICE).update(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED)
    response = client.post("/api/v1/service-requests/", {"srv": "11.4", "device_id": DEVICE, "command_variant": 8},
                           format="json")
    assert response.json()["response_code"] == "E5" and "not joined to a hub" in response.json()["detail"]


def test_smets_version_text_of_duis_maps_to_the_smi_version():
    assert duis_handlers.smets_version_from_duis("SMETS1 V1.2") == S1
    assert duis_handlers.smets_version_from_duis("smets 1") == S1
    assert duis_handlers.smets_version_from_duis("SMETS V1.58") == S2
    assert duis_handlers.smets_version_from_duis("SMETS2+") == S2
    assert duis_handlers.smets_version_from_duis("") == S2
