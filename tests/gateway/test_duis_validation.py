"""Validation the DSP does (issue 16 items 6, 8, 9): E11 for an SRV not applicable to the device type, header
and body agreeing, command variant 9, SignedPreCommand only with variants 5-7, schemaVersion; the gas supplier of
a dual-fuel premises reaching the shared hub; the corrected reference data; a firmware image at the schema's
maximum."""
from __future__ import annotations

import base64
import csv
import re

import pytest
from lxml import etree

from gateway import catalogue_data
from gateway.catalogue import srv_get
from gateway.choices import Channel
from gateway.duis.messages import MAX_MESSAGE_BYTES
from gateway.duis.schema import DUIS_54
from gateway.models import ServiceRequestLog
from gateway.services import service_request_submit
from inventory.choices import DeviceType
from tests.duis_samples import duis
from tests.factories import DeviceFactory, HubFactory, SupplierFactory
from tests.gateway.duis_client import NETWORK_OPERATOR_USER_ID

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
TARGET = "00-DB-12-34-56-78-90-A0"
HUB = "00-DB-12-34-56-78-90-A2"


def code_of(response) -> str:
    assert response.status_code == 200, response.content
    return etree.fromstring(response.content).findtext(f"{SR}Header/{SR}ResponseCode")


@pytest.fixture
def hrth(duis_identities):
    return duis_identities[0]


@pytest.fixture
def sender(duis_sender, hrth):
    return duis_sender(hrth)


def request_for(srv: str, body: str, *, variant: int = 1, reference: str | None = None) -> bytes:
    """The real 4.1.1 request re-addressed to ``srv`` with ``body`` as its payload."""
    return duis("4.1.1", {
        "<sr:CommandVariant>1<": f"<sr:CommandVariant>{variant}<",
        "<sr:ServiceReference>4.1<": f"<sr:ServiceReference>{reference or srv_get(srv).service_reference}<",
        "<sr:ServiceReferenceVariant>4.1.1<": f"<sr:ServiceReferenceVariant>{srv}<",
        "<sr:ReadInstantaneousImportRegisters/>": body,
    })


# --- E11: the SRV does not apply to the device's type --------------------------------------------------

@pytest.mark.parametrize(("srv", "variant", "device_type"), [
    ("7.1", 4, DeviceType.GSME), ("6.6", 4, DeviceType.ESME), ("4.1.4", 1, DeviceType.ESME),
    ("6.28", 1, DeviceType.ESME), ("11.4", 8, DeviceType.ESME),
])
def test_an_srv_sent_to_a_device_type_it_does_not_apply_to_is_e11(supplier, srv, variant, device_type):
    device = DeviceFactory(responsible_supplier=supplier, device_type=device_type)
    outcome = service_request_submit(party=supplier, user=None, srv=srv, device_id=device.device_id,
                                     command_variant=variant, channel=Channel.JSON)
    assert outcome.response_code == "E11" and f"is a {device_type}" in outcome.detail


@pytest.mark.parametrize(("srv", "variant", "device_type"), [
    ("7.1", 4, DeviceType.ESME), ("6.6", 4, DeviceType.GSME), ("4.1.4", 1, DeviceType.GSME),
    ("6.28", 1, DeviceType.CHF),
])
def test_the_same_srvs_to_their_own_device_type_are_accepted(supplier, srv, variant, device_type):
    device = DeviceFactory(responsible_supplier=supplier, device_type=device_type)
    outcome = service_request_submit(party=supplier, user=None, srv=srv, device_id=device.device_id,
                                     command_variant=variant, channel=Channel.JSON)
    assert outcome.response_code == "I99"


def test_e11_through_duis_for_enable_supply_to_a_gas_meter(sender, hrth):
    DeviceFactory(device_id=TARGET, responsible_supplier=hrth, device_type=DeviceType.GSME)
    assert code_of(sender.post(request_for("7.1", "<sr:EnableSupply/>", variant=4))) == "E11"
    assert "applies to ESME" in ServiceRequestLog.objects.get().detail


def test_e11_through_duis_for_ppmid_firmware_to_an_esme(sender, hrth):
    DeviceFactory(device_id=TARGET, responsible_supplier=hrth)
    request = duis("11.1", {
        "<sr:ServiceReference>11.1<": "<sr:ServiceReference>11.4<",
        "<sr:ServiceReferenceVariant>11.1<": "<sr:ServiceReferenceVariant>11.4<",
        "<sr:UpdateFirmware>": "<sr:UpdatePPMIDFirmware>", "</sr:UpdateFirmware>": "</sr:UpdatePPMIDFirmware>",
    })
    assert code_of(sender.post(request)) == "E11"


# --- header and body agree ----------------------------------------------------------------------------

def test_service_reference_must_match_the_srv(sender, hrth):
    DeviceFactory(device_id=TARGET, responsible_supplier=hrth)
    request = request_for("4.1.1", "<sr:ReadInstantaneousImportRegisters/>", reference="4.2")
    assert code_of(sender.post(request)) == "E100"
    assert "does not match SRV 4.1.1" in ServiceRequestLog.objects.get().detail


def test_the_body_must_be_the_srvs_own_element(sender, hrth):
    DeviceFactory(device_id=TARGET, responsible_supplier=hrth)
    request = request_for("4.1.2", "<sr:ReadInstantaneousImportRegisters/>")
    assert code_of(sender.post(request)) == "E100"
    assert "carries sr:ReadInstantaneousImportTOUMatrices" in ServiceRequestLog.objects.get().detail


SIGNED_PRE_COMMAND = "<sr:SignedPreCommand><sr:GBCSPayload>3QAAAAAAAEURAAAAAN8J</sr:GBCSPayload></sr:SignedPreCommand>"


@pytest.mark.parametrize(("variant", "code"), [(4, "E12"), (5, "I99"), (6, "I99"), (7, "I99")])
def test_a_signed_pre_command_goes_only_with_variants_5_to_7(sender, hrth, variant, code):
    DeviceFactory(device_id=TARGET, responsible_supplier=hrth)
    assert code_of(sender.post(request_for("7.1", SIGNED_PRE_COMMAND, variant=variant))) == code


def test_command_variant_9_is_e12_not_400(sender, hrth):
    """Was a 400 JSON answer (the REST variant check): in DUIS it is an E12 document."""
    DeviceFactory(device_id=TARGET, responsible_supplier=hrth)
    assert code_of(sender.post(request_for("4.1.1", "<sr:ReadInstantaneousImportRegisters/>", variant=9))) == "E12"
    assert "internal to the DCC" in ServiceRequestLog.objects.get().detail


@pytest.mark.parametrize(("version", "code"), [("5.1", "I99"), ("5.4", "I99"), ("5.0", "I99"), ("4.3", "E100"),
                                               ("6.0", "E100")])
def test_schema_version_is_checked(sender, hrth, version, code):
    DeviceFactory(device_id=TARGET, responsible_supplier=hrth)
    assert code_of(sender.post(duis("4.1.1", {'schemaVersion="5.1"': f'schemaVersion="{version}"'}))) == code


# --- item 8: a premises with two suppliers ------------------------------------------------------------

@pytest.fixture
def dual_fuel(hrth):
    """A hub whose Responsible Supplier is the electricity supplier BRKW; HRTH supplies the gas (its GPF)."""
    electricity = SupplierFactory(code="BRKW", roles=["IS"])
    hub = HubFactory(device_id=HUB, responsible_supplier=electricity)
    DeviceFactory(device_type=DeviceType.GPF, hub=hub, responsible_supplier=hrth)
    esme = DeviceFactory(device_type=DeviceType.ESME, hub=hub, responsible_supplier=electricity)
    return hub, esme


def test_the_gas_supplier_may_send_the_shared_hub_8_11(gateway_only, sender, dual_fuel):
    """Was E4: each hub had one responsible supplier. Now any supplier with a device in its SMS may."""
    assert code_of(sender.post(duis("8.11"))) == "I99"


def test_a_supplier_with_nothing_at_the_premises_may_not(gateway_only, duis_sender, dual_fuel, demo_identities):
    stranger = SupplierFactory(code="OAKF", roles=["IS", "GS"])
    identity = demo_identities(stranger, "90-B3-D5-1F-30-0F-00-01", "GS")
    assert code_of(duis_sender(stranger).post(duis("8.11"), identity=identity)) == "E4"


def test_the_gas_supplier_still_may_not_address_the_electricity_meter(hrth, dual_fuel):
    _hub, esme = dual_fuel
    outcome = service_request_submit(party=hrth, user=None, srv="4.1.1", device_id=esme.device_id,
                                     command_variant=1, channel=Channel.JSON)
    assert outcome.response_code == "E4"


# --- item 9: reference data ---------------------------------------------------------------------------

def test_auxiliary_controller_srvs_have_their_variants_the_right_way_round():
    assert (srv_get("7.12").critical, srv_get("7.12").command_variants) == (True, [4, 5, 6, 7])
    assert (srv_get("7.13").critical, srv_get("7.13").command_variants) == (True, [4, 5, 6, 7])
    assert (srv_get("7.14").critical, srv_get("7.14").command_variants) == (False, [1, 2, 3])
    assert (srv_get("7.15").critical, srv_get("7.15").command_variants) == (False, [1, 2, 3])


def test_every_critical_srv_takes_only_critical_variants():
    """Variants 4-7 are the critical ones (the schema's CommandVariant table); the matrix now agrees everywhere."""
    for row in catalogue_data.srv_rows():
        if row["critical"]:
            assert set(row["command_variants"]) <= {4, 5, 6, 7}, row["srv"]
        elif row["command_variants"] != [8]:
            assert set(row["command_variants"]) <= {1, 2, 3}, row["srv"]


def test_pre_notification_is_one_rule_suppliers_only(api_client_for, network_operator):
    assert srv_get("12.2").eligible_roles == ["IS", "ES", "GS"]
    response = api_client_for(network_operator).post(
        "/api/v1/service-requests/", {"srv": "12.2", "command_variant": 8}, format="json")
    assert response.json()["response_code"] == "E2"


def test_pre_notification_by_a_network_operator_over_duis_is_refused(duis_sender, duis_identities):
    operator = duis_identities[1]
    response = duis_sender(operator).post(duis("12.2"), originator=NETWORK_OPERATOR_USER_ID)
    assert code_of(response) == "E1"


def test_body_elements_follow_the_schemas_body_choice():
    """``SRV_BODY_ELEMENTS`` is the schema's sr:Request/sr:Body choice in the matrix's SRV order."""
    text = DUIS_54.read_text(encoding="utf-8")
    start = text.index('<xs:complexType name="Request">')
    body = text[text.index('<xs:element name="Body">', start):text.index('<xs:element ref="ds:Signature"', start)]
    names = [n for n in re.findall(r'<xs:element\s+name="([A-Za-z0-9]+)"', body) if n not in ("Body", "SignedPreCommand")]
    with open(catalogue_data.DATA_DIR / "srv_matrix.csv", newline="", encoding="utf-8") as handle:
        srvs = [row["srv"] for row in csv.DictReader(handle)]
    assert dict(zip(srvs, names, strict=True)) == catalogue_data.SRV_BODY_ELEMENTS


def test_a_firmware_image_at_the_schemas_maximum_parses_and_is_answered(sender, hrth):
    """10,240,000 octets (the schema's FirmwareImage maxLength) is 13.65 MB of base64 in one text node, past
    libxml2's 10 MB text-node guard: parsed with huge_tree, inside the whole-message cap."""
    DeviceFactory(device_id=TARGET, responsible_supplier=hrth)
    image = base64.b64encode(b"\x5a" * 10_240_000).decode()
    request = re.sub(rb"<sr:FirmwareImage>[^<]*</sr:FirmwareImage>",
                     f"<sr:FirmwareImage>{image}</sr:FirmwareImage>".encode(), duis("11.1"))
    assert len(image) > 10_000_000 and len(request) < MAX_MESSAGE_BYTES
    assert code_of(sender.post(request)) == "I99"
