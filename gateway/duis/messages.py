"""DUIS XML in (safe parsing, schema validation, header fields) and out (``sr:Response`` envelopes).

DUIS messages come from other parties' systems, so parsing never resolves entities, never touches the
network and refuses any DTD (external entities, entity-expansion bombs): a DUIS message has none.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from lxml import etree

from gateway.duis.schema import SR_NS, duis_schema, mp169_schema
from portal.errors import ValidationFailed

SR = f"{{{SR_NS}}}"
SCHEMA_VERSION = "5.4"
#: The whole-message cap, checked before parsing (what bounds memory). A firmware image may be 10,240,000 octets
#: (the schema's FirmwareImage maxLength), i.e. 13.65 MB of base64, and a DeviceIDList up to 1.2 MB.
MAX_MESSAGE_BYTES = 15 * 1024 * 1024
#: The answer to a request that is XML but not valid DUIS (see docs/decisions/0004-duis-security-response-codes.md).
MALFORMED_CODE = "E100"


@dataclass(frozen=True)
class DuisRequest:
    request_id: str
    command_variant: int
    service_reference: str
    srv: str
    body: etree._Element  # the payload element: the one child of sr:Body
    schema_version: str = SCHEMA_VERSION

    @property
    def originator(self) -> str:
        """The RequestID's first part: the User ID of the sender (RD-1)."""
        return self.request_id.split(":")[0].upper()

    @property
    def target_eui(self) -> str:
        """The RequestID's middle part: the business target (a device, or the DCC for non-device SRVs)."""
        return self.request_id.split(":")[1].upper()

    @property
    def counter(self) -> int:
        """The RequestID's last part: the originator's counter (RD-3), an unsigned 64-bit number."""
        return int(self.request_id.rsplit(":", 1)[1])


@dataclass(frozen=True)
class DuisHeader:
    """What could be read of a request's header before it was judged: enough to answer in DUIS. Each field is
    None unless it is present and well-formed, so an answer never echoes what the schema would refuse."""

    request_id: str | None = None
    service_reference: str | None = None
    srv: str | None = None


class DuisRefused(Exception):
    """A request readable enough to be answered with a DUIS error document (``code``), e.g. schema-invalid."""

    def __init__(self, code: str, reason: str, header: DuisHeader) -> None:
        super().__init__(reason)
        self.code, self.reason, self.header = code, reason, header


def _refuse(detail: str, code: str = "invalid_duis") -> ValidationFailed:
    return ValidationFailed(detail, code=code)


def duis_parser() -> etree.XMLParser:
    """The one parser for DUIS messages: no entities, no network, no DTD. ``huge_tree`` is on because a firmware
    image (11.1, up to the schema's 10 MB of base64 in one text node) passes libxml2's 10 MB text-node guard
    otherwise at about 8 MB of payload; the whole message is capped at ``MAX_MESSAGE_BYTES`` before parsing,
    which is what bounds memory, and entity expansion (what the guard is for) is off anyway."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=True)


REQUEST_ID_PATTERN = re.compile(r"^[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){7}:[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){7}:\d{1,20}$")
SRV_PATTERN = re.compile(r"^\d{1,2}(\.\d{1,2}){0,2}$")


def read_header(root: etree._Element) -> DuisHeader:
    """The header fields of a (possibly invalid) request that are well-formed enough to echo in an answer."""
    def text(name: str) -> str:
        return (root.findtext(f"{SR}Header/{SR}{name}") or "").strip()
    request_id, reference, srv = text("RequestID"), text("ServiceReference"), text("ServiceReferenceVariant")
    fits = REQUEST_ID_PATTERN.match(request_id) and int(request_id.rsplit(":", 1)[1]) < 2 ** 64
    return DuisHeader(
        request_id=request_id if fits else None,
        service_reference=reference if SRV_PATTERN.match(reference) else None,
        srv=srv if SRV_PATTERN.match(srv) else None,
    )


def parse_document(data: bytes) -> etree._Element:
    """Parse a DUIS message safely, or raise ``ValidationFailed`` when it cannot be read as a DUIS request at all
    (empty, too large, not XML, a DTD, not ``sr:Request``): those are answered 400 in JSON, not in DUIS."""
    if not data or not data.strip():
        raise _refuse("The request body is empty: send a DUIS 5.4 XML sr:Request.")
    if len(data) > MAX_MESSAGE_BYTES:
        raise _refuse(f"The DUIS message is larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB.")
    try:
        document = etree.fromstring(data, duis_parser()).getroottree()
    except etree.XMLSyntaxError as error:
        raise _refuse(f"The body is not well-formed XML: {error.msg}.") from error
    if document.docinfo.internalDTD is not None or document.docinfo.doctype:
        raise _refuse("DTDs and entity declarations are not allowed in DUIS messages.", code="dtd_forbidden")
    root = document.getroot()
    if root.tag != f"{SR}Request":
        raise _refuse(
            f"Expected a DUIS sr:Request in the namespace {SR_NS}, got <{root.tag}>.", code="wrong_namespace",
        )
    return root


def request_from(root: etree._Element) -> DuisRequest:
    """The request's fields, from a document that passed ``request_validate``."""
    header = root.find(f"{SR}Header")
    body = root.find(f"{SR}Body")[0]
    return DuisRequest(
        request_id=header.findtext(f"{SR}RequestID").strip(),
        command_variant=int(header.findtext(f"{SR}CommandVariant")),
        service_reference=header.findtext(f"{SR}ServiceReference").strip(),
        srv=header.findtext(f"{SR}ServiceReferenceVariant").strip(),
        body=body,
        schema_version=(root.get("schemaVersion") or "").strip(),
    )


def request_validate(root: etree._Element) -> None:
    """Schema-validate a parsed request (DUIS 5.4); a failure is ``DuisRefused`` (answered in DUIS)."""
    schema = duis_schema()
    if not schema.validate(root.getroottree()):
        first = schema.error_log.filter_from_errors()[0]
        raise DuisRefused(
            MALFORMED_CODE, f"The request does not conform to the DUIS 5.4 schema (line {first.line}): {first.message}",
            read_header(root),
        )


def parse_request(data: bytes) -> DuisRequest:
    """Parse and validate a DUIS 5.4 request (``ValidationFailed`` if unreadable, ``DuisRefused`` if invalid)."""
    root = parse_document(data)
    request_validate(root)
    return request_from(root)


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{SR}{name}")
    if text is not None:
        element.text = text
    return element


def response_envelope(*, request: DuisRequest | DuisHeader, response_code: str,
                      at: dt.datetime | None = None) -> tuple[etree._Element, etree._Element]:
    """An ``sr:Response`` with its header and an ``sr:ResponseMessage`` naming the SRV; returns both. For an
    error document (``request`` a ``DuisHeader``) only the header fields that could be read are echoed."""
    at = (at or timezone.now()).astimezone(dt.UTC)
    root = etree.Element(f"{SR}Response", nsmap={"sr": SR_NS}, schemaVersion=SCHEMA_VERSION)
    header = _sub(root, "Header")
    if request.request_id:
        _sub(header, "RequestID", request.request_id)
    _sub(header, "ResponseCode", response_code)
    _sub(header, "ResponseDateTime", at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    message = _sub(_sub(root, "Body"), "ResponseMessage")
    if request.service_reference:
        _sub(message, "ServiceReference", request.service_reference)
    if request.srv:
        _sub(message, "ServiceReferenceVariant", request.srv)
    return root, message


def error_document(*, header: DuisHeader, response_code: str) -> etree._Element:
    """A DUIS error answer. Echoed header fields that would make it schema-invalid (e.g. a ServiceReference the
    schema does not list) are dropped, so every answer validates."""
    root, _message = response_envelope(request=header, response_code=response_code)
    if not mp169_schema().validate(root.getroottree()):
        root, _message = response_envelope(request=DuisHeader(request_id=header.request_id), response_code=response_code)
    return root


#: Type 2 devices (no SMI status of their own in the DSP's answer): the IHD and the CAD.
TYPE_2_DEVICES = frozenset({"IHD", "CAD"})


def technical_version(device) -> str:
    """``sr:SMETSCHTSVersion`` as the DSP writes it: the CPL row's technical specification version when the CPL
    knows it, else the family's: ``CHTS V1.4`` for a hub and its GPF (CHTS), ``SMETS V5.0`` for a SMETS2+
    device, ``SMETS1`` for a SMETS1 one."""
    known = (device.cpl_entry.technical_version or "").strip()
    if known:
        return known[:20]
    if device.smets_version == "SMETS1":
        return "SMETS1"
    return "CHTS V1.4" if device.device_type in ("CHF", "GPF") else "SMETS V5.0"


def add_inventory(message: etree._Element, devices) -> None:
    """Append ``sr:DSPInventory`` with one ``sr:Device`` per device, in the schema's element order, as the DSP
    answers it: manufacturer and model as their hex identifiers (the CPL's names where it has none), the
    technical version in the DSP's form, GBCS version and HAN variant where the CPL knows them, no status for
    Type 2 devices (IHD, CAD); and ``sr:Restricted`` true as the last child of a restricted device (MP169,
    R169-7)."""
    inventory = _sub(message, "DSPInventory")
    for device in devices:
        node = _sub(inventory, "Device")
        cpl = device.cpl_entry
        _sub(node, "DeviceID", device.device_id)
        _sub(node, "DeviceType", device.device_type)
        if device.device_type not in TYPE_2_DEVICES:
            _sub(node, "DeviceStatus", device.status)
        _sub(node, "DeviceManufacturer", (cpl.manufacturer_id or cpl.manufacturer)[:30])
        _sub(node, "DeviceModel", (cpl.model_id or cpl.model)[:30])
        _sub(node, "SMETSCHTSVersion", technical_version(device))
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
        if cpl.gbcs_version:
            _sub(node, "DeviceGBCSVersion", cpl.gbcs_version)
        if cpl.han_variant:
            _sub(node, "HANVariant", cpl.han_variant)
        if device.restricted:
            _sub(node, "Restricted", "true")


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
