"""POST /duis/: the real DUIS reference requests, 8.2 Read Inventory with MP169's Restricted, schema-valid
answers (DUIS 5.4 and the portal's MP169 extension), hostile XML refused.

Since issue 16 (DUIS as the DCC runs it) every request here is signed by the real client, the DCC Boxed tool,
for the test supplier User ID that party HRTH holds (``tests.gateway.duis_client``), and every answer is
DSP-signed; the security checks themselves are in ``test_duis_security.py``."""
import pytest
from django.utils import timezone
from lxml import etree

from gateway.duis.schema import DUIS_54_MP169, duis_schema, mp169_schema, mp169_schema_bytes
from gateway.models import ServiceRequestLog
from tests.duis_samples import duis
from tests.factories import DeviceFactory, HubFactory
from tests.gateway.duis_client import DuisSender

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
TARGET = "00-DB-12-34-56-78-90-A0"
HUB = "00-DB-12-34-56-78-90-A2"


def post(client: DuisSender, data: bytes, *, sign: bool = True):
    """Every request goes through the one signing helper; unreadable input cannot be signed (``sign=False``)."""
    return client.post(data, sign=sign)


def answer(response) -> etree._Element:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/xml")
    document = etree.fromstring(response.content)
    assert mp169_schema().validate(document), mp169_schema().error_log
    return document


def code_of(document) -> str:
    return document.findtext(f"{SR}Header/{SR}ResponseCode")


def valid_54(document) -> bool:
    return duis_schema().validate(document)


@pytest.fixture
def supplier(duis_identities):
    """HRTH: the party holding the DCC Boxed test supplier User ID the reference requests are sent from."""
    return duis_identities[0]


@pytest.fixture
def client(duis_sender, supplier):
    return duis_sender(supplier)


@pytest.fixture
def restricted_target(supplier):
    return DeviceFactory(device_id=TARGET, responsible_supplier=supplier, restricted=True,
                         restricted_since=timezone.now())


def test_shipped_mp169_schema_is_the_54_schema_plus_restricted_and_e72():
    assert DUIS_54_MP169.read_bytes() == mp169_schema_bytes()


def test_read_inventory_by_device_id_answers_dsp_inventory_valid_against_54(client, supplier):
    device = DeviceFactory(device_id=HUB, responsible_supplier=supplier,
                           address_identifier="Flat 1", postcode="SW1A 1AA")
    document = answer(post(client, duis("8.2")))
    assert code_of(document) == "I0" and valid_54(document)
    devices = document.findall(f".//{SR}DSPInventory/{SR}Device")
    assert [d.findtext(f"{SR}DeviceID") for d in devices] == [device.device_id]
    names = [etree.QName(child).localname for child in devices[0]]
    assert names[:6] == ["DeviceID", "DeviceType", "DeviceStatus", "DeviceManufacturer", "DeviceModel",
                         "SMETSCHTSVersion"]
    assert "Restricted" not in names and names[-1] == "CSPRegion"
    assert ServiceRequestLog.objects.get(srv="8.2").response_code == "I0"


def test_read_inventory_marks_restricted_devices_with_restricted_last(client, supplier):
    DeviceFactory(device_id=HUB, responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())
    document = answer(post(client, duis("8.2")))
    device = document.find(f".//{SR}Device")
    assert etree.QName(device[-1]).localname == "Restricted" and device[-1].text == "true"
    assert not valid_54(document)  # only the MP169 extension knows sr:Restricted


def _read_inventory(criterion: str) -> bytes:
    return duis("8.2", {"<sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID>": criterion})


@pytest.mark.parametrize("criterion", [
    "<sr:MPxN>1900000099999</sr:MPxN>",
    "<sr:UPRN>77001234</sr:UPRN>",
    "<sr:PropertyFilter><sr:PostCode>AB1 2CD</sr:PostCode><sr:AddressIdentifier>12</sr:AddressIdentifier>"
    "</sr:PropertyFilter>",
    "<sr:PropertyFilter><sr:PostCode>ab12cd</sr:PostCode><sr:AddressIdentifier>12</sr:AddressIdentifier>"
    "</sr:PropertyFilter>",
])
def test_read_inventory_by_mpxn_uprn_and_property_filter(client, supplier, criterion):
    hub = HubFactory(responsible_supplier=supplier, uprn="77001234", postcode="AB1 2CD", address_identifier="12")
    meter = DeviceFactory(responsible_supplier=supplier, hub=hub, mpxn="1900000099999", uprn="77001234",
                          postcode="AB1 2CD", address_identifier="12", restricted=True, restricted_since=timezone.now())
    DeviceFactory(responsible_supplier=supplier, uprn="77009999")  # another premises
    document = answer(post(client, _read_inventory(criterion)))
    found = {d.findtext(f"{SR}DeviceID"): d for d in document.iter(f"{SR}Device")}
    # Issue 16: by MPxN the DSP answers the meter's whole SMS (its hub too), as by DeviceID; it was the meter alone.
    assert set(found) == {hub.device_id, meter.device_id}
    assert etree.QName(found[meter.device_id][-1]).localname == "Restricted"


def test_read_inventory_of_an_unknown_device_is_a_duis_error_without_inventory(client):
    """Was I0 with no sr:DSPInventory: issue 16 answers as the DSP does, with an error (E080201)."""
    document = answer(post(client, duis("8.2")))
    assert code_of(document) == "E080201" and document.find(f".//{SR}DSPInventory") is None and valid_54(document)
    assert ServiceRequestLog.objects.get().response_code == "E080201"


def test_real_4_1_1_is_acknowledged_for_a_normal_device_valid_against_54(client, supplier):
    DeviceFactory(device_id=TARGET, responsible_supplier=supplier)
    document = answer(post(client, duis("4.1.1")))
    assert code_of(document) == "I99" and valid_54(document)
    assert document.findtext(f".//{SR}ServiceReferenceVariant") == "4.1.1"
    # The signing tool sets the counter to the current milliseconds (the sample's ":1000" would be a replay now):
    # the answer echoes the RequestID as sent.
    sent = etree.fromstring(client.last_sent).findtext(f"{SR}Header/{SR}RequestID")
    assert sent.startswith("90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:")
    assert document.findtext(f"{SR}Header/{SR}RequestID") == sent
    row = ServiceRequestLog.objects.get()
    assert (row.channel, row.device_id, row.request_id) == ("duis", TARGET, sent)


def test_real_4_1_1_to_a_restricted_device_is_e72(client, restricted_target):
    document = answer(post(client, duis("4.1.1")))
    assert code_of(document) == "E72"
    assert not valid_54(document)  # E72 is the MP169 extension's code


@pytest.mark.parametrize("restricted", [False, True])
def test_real_11_1_firmware_is_acknowledged_for_normal_and_restricted_devices(client, supplier, restricted):
    DeviceFactory(device_id=TARGET, responsible_supplier=supplier, restricted=restricted,
                  restricted_since=timezone.now() if restricted else None)
    document = answer(post(client, duis("11.1")))
    assert code_of(document) == "I99" and valid_54(document)


def test_11_1_judges_every_device_of_its_list_not_only_the_first(client, supplier, other_supplier):
    """A firmware distribution cannot carry another supplier's meter, or an unknown one, behind one's own."""
    DeviceFactory(device_id=TARGET, responsible_supplier=supplier)
    mine = DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())
    theirs = DeviceFactory(responsible_supplier=other_supplier)
    listed = f"<sr:DeviceIDList>{TARGET}</sr:DeviceIDList>"

    def send(*device_ids: str) -> str:
        body = duis("11.1", {listed: f"<sr:DeviceIDList>{','.join((TARGET, *device_ids))}</sr:DeviceIDList>"})
        return code_of(answer(post(client, body)))

    assert send(mine.device_id.lower()) == "I99"  # restricted meters still take firmware (R169-7)
    assert send(mine.device_id, theirs.device_id) == "E4"
    assert send("00-DB-99-99-99-99-99-99") == "E19"
    logs = list(ServiceRequestLog.objects.filter(srv="11.1").order_by("id").values_list("device_id", "response_code"))
    assert logs == [(TARGET, "I99"), (TARGET, "E4"), (TARGET, "E19")]
    refused = ServiceRequestLog.objects.filter(srv="11.1", response_code="E4").get()
    assert theirs.device_id in refused.detail


@pytest.mark.parametrize("restricted", [False, True])
def test_real_12_2_prenotification_is_accepted_by_the_gateway(gateway_only, client, supplier, restricted):
    if restricted:  # pre-notifying a device already in the SMI does not depend on Restricted either
        DeviceFactory(device_id=TARGET, responsible_supplier=supplier, restricted=True,
                      restricted_since=timezone.now())
    document = answer(post(client, duis("12.2")))
    assert code_of(document) == "I0" and valid_54(document)
    assert ServiceRequestLog.objects.get(srv="12.2").device_id == TARGET


@pytest.mark.parametrize("restricted", [False, True])
def test_real_8_11_update_han_device_log_is_accepted_by_the_gateway(gateway_only, client, supplier, restricted):
    HubFactory(device_id=HUB, responsible_supplier=supplier, restricted=restricted,
               restricted_since=timezone.now() if restricted else None)
    document = answer(post(client, duis("8.11")))
    assert code_of(document) == "I99" and valid_54(document)


def test_unknown_device_in_duis_is_e19(client):
    document = answer(post(client, duis("4.1.1")))
    assert code_of(document) == "E19" and valid_54(document)


def test_wrong_namespace_is_400_with_a_clear_message(client):
    data = duis("4.1.1").replace(b"http://www.dccinterface.co.uk/ServiceUserGateway", b"urn:other")
    response = post(client, data, sign=False)
    assert response.status_code == 400 and "namespace" in response.json()["detail"]
    assert not ServiceRequestLog.objects.exists()


def test_schema_invalid_request_is_a_duis_error_document(client):
    """Was 400 JSON: issue 16 answers a request that can be read as far as its header with a DSP-signed DUIS
    error document (E100, docs/decisions/0004), logged as refused."""
    data = duis("4.1.1").replace(b"<sr:CommandVariant>1</sr:CommandVariant>", b"")
    document = answer(post(client, data, sign=False))
    assert code_of(document) == "E100" and valid_54(document)
    assert document.findtext(f"{SR}Header/{SR}RequestID").endswith(":1000")
    row = ServiceRequestLog.objects.get()
    assert row.response_code == "E100" and "DUIS 5.4 schema" in row.detail


def test_not_xml_is_400(client):
    response = post(client, b"{not xml", sign=False)
    assert response.status_code == 400 and "well-formed" in response.json()["detail"]


def test_external_entity_is_refused_without_reading_the_file(client):
    data = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + duis("4.1.1").split(b"?>", 1)[1].replace(b"<sr:RequestID>", b"<sr:RequestID>&xxe;"))
    response = post(client, data, sign=False)
    assert response.status_code == 400 and b"root:" not in response.content
    assert response.json()["code"] == "dtd_forbidden"


def test_billion_laughs_is_refused_without_expansion(client):
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = (f'<?xml version="1.0"?><!DOCTYPE sr:Request [<!ENTITY l0 "lol">{entities}]>'
            '<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">&l9;</sr:Request>').encode()
    response = post(client, data, sign=False)
    assert response.status_code == 400 and b"lollol" not in response.content


def test_duis_needs_authentication(db):
    from rest_framework.test import APIClient
    response = APIClient().post("/duis/", data=duis("8.2"), content_type="application/xml")
    assert response.status_code == 401
