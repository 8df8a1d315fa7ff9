"""SRV 8.2 Read Inventory as the DSP answers it (issue 16 item 7): the devices of the whole SMS by DeviceID or
MPxN, an unknown device is an error, manufacturer and model as hex identifiers, the technical version in the
DSP's form, GBCS version and HAN variant where known, no status for Type 2 devices."""
from __future__ import annotations

import pytest
from lxml import etree

from gateway.duis.schema import duis_schema
from inventory.choices import DeviceType
from tests.duis_samples import duis
from tests.factories import CPLEntryFactory, DeviceFactory, HubFactory

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
HUB = "00-DB-12-34-56-78-90-A2"  # the 8.2 sample's DeviceID


@pytest.fixture
def hrth(duis_identities):
    return duis_identities[0]


@pytest.fixture
def sender(duis_sender, hrth):
    return duis_sender(hrth)


@pytest.fixture
def sms(hrth):
    """A hub with an ESME, a GPF and GSME, and an IHD; the hub's CPL row knows its DUIS identifiers."""
    hub_cpl = CPLEntryFactory(device_type=DeviceType.CHF, manufacturer="Kestrel Comms", model="KCH-300",
                              manufacturer_id="106C", model_id="433100AC", gbcs_version="4.1",
                              han_variant="2.4GHz")
    hub = HubFactory(device_id=HUB, responsible_supplier=hrth, cpl_entry=hub_cpl)
    devices = {"CHF": hub}
    for kind in (DeviceType.ESME, DeviceType.GPF, DeviceType.GSME, DeviceType.IHD):
        devices[kind] = DeviceFactory(device_type=kind, hub=hub, responsible_supplier=hrth, mpxn=(
            "1900000012345" if kind == DeviceType.ESME else ""))
    return devices


def inventory(response) -> dict[str, etree._Element]:
    assert response.status_code == 200, response.content
    document = etree.fromstring(response.content)
    assert duis_schema().validate(document), duis_schema().error_log
    assert document.findtext(f"{SR}Header/{SR}ResponseCode") == "I0"
    return {d.findtext(f"{SR}DeviceID"): d for d in document.iter(f"{SR}Device")}


def by(criterion: str) -> bytes:
    return duis("8.2", {f"<sr:DeviceID>{HUB}</sr:DeviceID>": criterion})


def test_by_the_device_id_of_a_meter_the_whole_sms_is_answered(sender, sms):
    found = inventory(sender.post(by(f"<sr:DeviceID>{sms['ESME'].device_id}</sr:DeviceID>")))
    assert set(found) == {device.device_id for device in sms.values()}


def test_by_the_hubs_device_id_and_by_mpxn_too(sender, sms):
    everyone = {device.device_id for device in sms.values()}
    assert set(inventory(sender.post(duis("8.2")))) == everyone
    assert set(inventory(sender.post(by("<sr:MPxN>1900000012345</sr:MPxN>")))) == everyone


def test_a_device_joined_to_no_hub_is_answered_alone(sender, hrth):
    alone = DeviceFactory(responsible_supplier=hrth, hub=None)
    assert set(inventory(sender.post(by(f"<sr:DeviceID>{alone.device_id}</sr:DeviceID>")))) == {alone.device_id}


@pytest.mark.parametrize(("criterion", "code"), [
    ("<sr:DeviceID>00-DB-99-99-99-99-99-99</sr:DeviceID>", "E080201"),
    ("<sr:MPxN>1999999999999</sr:MPxN>", "E080202"),
])
def test_an_unknown_device_or_mpxn_is_an_error_not_an_empty_success(sender, criterion, code):
    response = sender.post(by(criterion))
    document = etree.fromstring(response.content)
    assert document.findtext(f"{SR}Header/{SR}ResponseCode") == code
    assert document.find(f".//{SR}DSPInventory") is None


def test_manufacturer_and_model_are_the_hex_identifiers_where_the_cpl_has_them(sender, sms):
    found = inventory(sender.post(duis("8.2")))
    hub, meter = found[HUB], found[sms["ESME"].device_id]
    assert (hub.findtext(f"{SR}DeviceManufacturer"), hub.findtext(f"{SR}DeviceModel")) == ("106C", "433100AC")
    cpl = sms["ESME"].cpl_entry
    assert (meter.findtext(f"{SR}DeviceManufacturer"), meter.findtext(f"{SR}DeviceModel")) == (cpl.manufacturer,
                                                                                              cpl.model)


def test_technical_version_in_the_dsps_form_and_gbcs_and_han_variant_where_known(sender, sms):
    CPLEntryFactory._meta.model.objects.filter(pk=sms["GSME"].cpl_entry_id).update(technical_version="SMETS V4.2")
    found = inventory(sender.post(duis("8.2")))
    version = {device_id: node.findtext(f"{SR}SMETSCHTSVersion") for device_id, node in found.items()}
    assert version[HUB] == "CHTS V1.4" and version[sms["GPF"].device_id] == "CHTS V1.4"
    assert version[sms["ESME"].device_id] == "SMETS V5.0" and version[sms["GSME"].device_id] == "SMETS V4.2"
    assert (found[HUB].findtext(f"{SR}DeviceGBCSVersion"), found[HUB].findtext(f"{SR}HANVariant")) == ("4.1",
                                                                                                     "2.4GHz")
    assert found[sms["ESME"].device_id].find(f"{SR}DeviceGBCSVersion") is None


def test_type_2_devices_carry_no_status(sender, sms):
    found = inventory(sender.post(duis("8.2")))
    assert found[sms["IHD"].device_id].find(f"{SR}DeviceStatus") is None
    assert found[sms["ESME"].device_id].findtext(f"{SR}DeviceStatus") == "Commissioned"
