"""DUIS XML in (safe parsing, schema validation, header fields) and out (``sr:Response`` envelopes).

DUIS messages come from other parties' systems, so parsing never resolves entities, never touches the
network and refuses any DTD (external entities, entity-expansion bombs): a DUIS message has none.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from lxml import etree

from gateway.duis.schema import SR_NS, duis_schema
from portal.errors import ValidationFailed

SR = f"{{{SR_NS}}}"
SCHEMA_VERSION = "5.4"
MAX_MESSAGE_BYTES = 12 * 1024 * 1024  # a firmware image may be up to 10 MB of base64


@dataclass(frozen=True)
class DuisRequest:
    request_id: str
    command_variant: int
    service_reference: str
    srv: str
    body: etree._Element  # the payload element: the one child of sr:Body

    @property
    def target_eui(self) -> str:
        """The RequestID's middle part: the business target (a device, or the DCC for non-device SRVs)."""
        return self.request_id.split(":")[1].upper()


def _refuse(detail: str, code: str = "invalid_duis") -> ValidationFailed:
    return ValidationFailed(detail, code=code)


def parse_request(data: bytes) -> DuisRequest:
    """Parse and validate a DUIS 5.4 request, or raise ``ValidationFailed`` saying what is wrong."""
    if not data or not data.strip():
        raise _refuse("The request body is empty: send a DUIS 5.4 XML sr:Request.")
    if len(data) > MAX_MESSAGE_BYTES:
        raise _refuse(f"The DUIS message is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB.")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
    )
    try:
        document = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as error:
        raise _refuse(f"The body is not well-formed XML: {error.msg}.") from error
    if document.docinfo.internalDTD is not None or document.docinfo.doctype:
        raise _refuse("DTDs and entity declarations are not allowed in DUIS messages.", code="dtd_forbidden")
    root = document.getroot()
    if root.tag != f"{SR}Request":
        raise _refuse(
            f"Expected a DUIS sr:Request in the namespace {SR_NS}, got <{root.tag}>.", code="wrong_namespace",
        )
    schema = duis_schema()
    if not schema.validate(document):
        first = schema.error_log.filter_from_errors()[0]
        raise _refuse(f"The request does not conform to the DUIS 5.4 schema (line {first.line}): {first.message}")
    header = root.find(f"{SR}Header")
    body = root.find(f"{SR}Body")[0]
    return DuisRequest(
        request_id=header.findtext(f"{SR}RequestID").strip(),
        command_variant=int(header.findtext(f"{SR}CommandVariant")),
        service_reference=header.findtext(f"{SR}ServiceReference").strip(),
        srv=header.findtext(f"{SR}ServiceReferenceVariant").strip(),
        body=body,
    )


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{SR}{name}")
    if text is not None:
        element.text = text
    return element


def response_envelope(*, request: DuisRequest, response_code: str,
                      at: dt.datetime | None = None) -> tuple[etree._Element, etree._Element]:
    """An ``sr:Response`` with its header and an ``sr:ResponseMessage`` naming the SRV; returns both."""
    at = (at or timezone.now()).astimezone(dt.UTC)
    root = etree.Element(f"{SR}Response", nsmap={"sr": SR_NS}, schemaVersion=SCHEMA_VERSION)
    header = _sub(root, "Header")
    _sub(header, "RequestID", request.request_id)
    _sub(header, "ResponseCode", response_code)
    _sub(header, "ResponseDateTime", at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    message = _sub(_sub(root, "Body"), "ResponseMessage")
    _sub(message, "ServiceReference", request.service_reference)
    _sub(message, "ServiceReferenceVariant", request.srv)
    return root, message


def add_inventory(message: etree._Element, devices) -> None:
    """Append ``sr:DSPInventory`` with one ``sr:Device`` per device, in the schema's element order, and
    ``sr:Restricted`` true as the last child of a restricted device's ``sr:Device`` (MP169, R169-7)."""
    inventory = _sub(message, "DSPInventory")
    for device in devices:
        node = _sub(inventory, "Device")
        cpl = device.cpl_entry
        _sub(node, "DeviceID", device.device_id)
        _sub(node, "DeviceType", device.device_type)
        _sub(node, "DeviceStatus", device.status)
        _sub(node, "DeviceManufacturer", cpl.manufacturer[:30])
        _sub(node, "DeviceModel", cpl.model[:30])
        _sub(node, "SMETSCHTSVersion", device.smets_version)
        if cpl.firmware_version:
            _sub(node, "DeviceFirmwareVersion", cpl.firmware_version[:8])
            _sub(node, "DeviceFirmwareVersionStatus", cpl.status)
        _sub(node, "CPLStatus", cpl.status)
        if device.date_commissioned:
            _sub(node, "DateCommissioned", device.date_commissioned.isoformat())
        if device.mpxn:
            _sub(node, "ImportMPxN", device.mpxn)
        if device.uprn.isdigit() and int(device.uprn) > 0:
            _sub(node, "UPRN", str(int(device.uprn)))
        if 6 <= len(device.postcode) <= 8 and device.address_identifier:
            prop = _sub(node, "PropertyFilter")
            _sub(prop, "PostCode", device.postcode)
            _sub(prop, "AddressIdentifier", device.address_identifier[:30])
        _sub(node, "CSPRegion", device.csp_region)
        if device.restricted:
            _sub(node, "Restricted", "true")


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
