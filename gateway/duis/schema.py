"""The DUIS 5.4 XML schema and the portal's MP169 extension of it, compiled once per process.

``gateway/schemas/`` holds the DCC's DUIS 5.4 schema, the MMC schema and xmldsig it imports (unchanged
copies), and ``DUIS Schema V5.4 MP169.xsd``: the portal's extension, which is the 5.4 schema plus exactly
two additions (R169-7, R169-8):

* ``sr:Device`` ends with an optional ``<sr:Restricted>`` (xs:boolean), so an 8.2 Read Inventory response
  can say a device is Restricted as the last child of ``sr:Device``;
* ``sr:ResponseCode`` has ``E72`` ("device use is Restricted").

XSD 1.0 (all libxml2 supports) cannot widen an enumeration with ``xs:redefine`` - only ``xs:override``
of XSD 1.1 could - so the extension is a generated full schema rather than a redefinition. Regenerate it
with ``manage.py duis_mp169_schema`` after replacing the 5.4 files; a test checks the shipped file is
exactly what the generator produces. Everything the portal emits without E72 or Restricted validates
against the unmodified 5.4 schema too.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
DUIS_54 = SCHEMA_DIR / "DUIS Schema V5.4.xsd"
DUIS_54_MP169 = SCHEMA_DIR / "DUIS Schema V5.4 MP169.xsd"
SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"
XS_NS = "http://www.w3.org/2001/XMLSchema"
XS = f"{{{XS_NS}}}"

MP169_NOTE = (
    " DCC Self-Service Portal: MP169 extension of DUIS Schema V5.4, generated from it by "
    "`manage.py duis_mp169_schema`. Differences: sr:Device ends with an optional sr:Restricted (xs:boolean); "
    "sr:ResponseCode adds E72 (device use is Restricted). "
)


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False)


def _insert_once(text: str, anchor: str, addition: str, *, after: bool = True, start: int = 0) -> str:
    position = text.find(anchor, start)
    if position < 0 or (start == 0 and text.count(anchor) != 1):
        raise RuntimeError(f"DUIS schema layout changed: {anchor!r} not found exactly once.")
    cut = position + len(anchor) if after else position
    return text[:cut] + addition + text[cut:]


def mp169_schema_bytes() -> bytes:
    """The MP169 extension schema: the shipped 5.4 schema text with the two additions inserted, so a diff
    between the two files shows exactly what MP169 adds."""
    text = DUIS_54.read_bytes().decode("utf-8")
    text = _insert_once(text, 'elementFormDefault="qualified">', f"\n    <!--{MP169_NOTE}-->")
    device = text.find('<xs:complexType name="Device">')
    text = _insert_once(
        text, "        </xs:sequence>\n    </xs:complexType>",
        '            <xs:element minOccurs="0" name="Restricted" type="xs:boolean"/>\n', after=False, start=device,
    )
    text = _insert_once(text, '            <xs:enumeration value="E71"/>', '\n            <xs:enumeration value="E72"/>')
    return text.encode("utf-8")


def _compile(path: Path) -> etree.XMLSchema:
    """Compile a schema whose imports name files with spaces (lxml treats schemaLocation as a URI)."""
    document = etree.parse(str(path), _safe_parser())
    for node in document.getroot().iter(f"{XS}import", f"{XS}include"):
        location = node.get("schemaLocation")
        if location and "://" not in location:
            node.set("schemaLocation", (path.parent / location).resolve().as_uri())
    return etree.XMLSchema(document)


@lru_cache(maxsize=1)
def duis_schema() -> etree.XMLSchema:
    return _compile(DUIS_54)


@lru_cache(maxsize=1)
def mp169_schema() -> etree.XMLSchema:
    return _compile(DUIS_54_MP169)
