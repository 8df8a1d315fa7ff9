"""What the DSP checks of a schema-valid DUIS request before it judges it: the header and the body agree and
the request is one the DCC accepts from a User.

* ``schemaVersion`` is one the portal accepts (DUIS 5.0 to 5.4: the real reference requests say 5.1 and 5.4);
* the SRV is in the catalogue and ``sr:ServiceReference`` is the SRV's service reference (4.1 for 4.1.1);
* the body is the SRV's own payload element (``catalogue_data.SRV_BODY_ELEMENTS``: ``ReadInventory`` for 8.2),
  or ``sr:SignedPreCommand``, which is only for command variants 5-7 (a critical command signed by the User);
* command variant 9 is internal to the DCC's systems (the schema's own note): E12, as any variant the SRV
  does not allow is.

Header/body disagreements and an unsupported schema version are answered E100 (docs/decisions/0004).
"""
from __future__ import annotations

from lxml import etree

from gateway import catalogue
from gateway.catalogue_data import SRV_BODY_ELEMENTS
from gateway.checks import Refusal
from gateway.choices import ResponseCode
from gateway.duis.messages import DuisRequest

ACCEPTED_SCHEMA_VERSIONS = frozenset({"5.0", "5.1", "5.2", "5.3", "5.4"})
SIGNED_PRE_COMMAND = "SignedPreCommand"
SIGNED_PRE_COMMAND_VARIANTS = frozenset({5, 6, 7})
DCC_INTERNAL_VARIANT = 9


def _schema_version(text: str) -> str:
    try:
        major, _, minor = text.strip().partition(".")
        return f"{int(major)}.{int(minor or 0)}"
    except ValueError:
        return text


def duis_request_refusal(request: DuisRequest) -> Refusal | None:
    """The first disagreement in the order of the module docstring, or None."""
    version = _schema_version(request.schema_version)
    if version not in ACCEPTED_SCHEMA_VERSIONS:
        return Refusal(ResponseCode.MALFORMED, f"schemaVersion {request.schema_version[:10]} is not accepted: send DUIS "
                                               f"{', '.join(sorted(ACCEPTED_SCHEMA_VERSIONS))}.")
    entry = catalogue.srv_get(request.srv)
    if entry is None:
        return Refusal(ResponseCode.MALFORMED, f"{request.srv[:10]} is not a DUIS Service Reference Variant.")
    if request.service_reference != entry.service_reference:
        return Refusal(ResponseCode.MALFORMED, f"ServiceReference {request.service_reference[:10]} does not match SRV "
                                               f"{entry.srv}, whose service reference is {entry.service_reference}.")
    if request.command_variant == DCC_INTERNAL_VARIANT:
        return Refusal(ResponseCode.COMMAND_VARIANT, "Command variant 9 is internal to the DCC's systems: a User "
                                                     f"sends SRV {entry.srv} with {_variants(entry)}.")
    body = etree.QName(request.body).localname
    if body == SIGNED_PRE_COMMAND:
        if request.command_variant not in SIGNED_PRE_COMMAND_VARIANTS:
            return Refusal(ResponseCode.COMMAND_VARIANT, f"A SignedPreCommand goes only with command variants 5, 6 or "
                                                         f"7, not {request.command_variant}.")
    elif body != SRV_BODY_ELEMENTS.get(entry.srv):
        return Refusal(ResponseCode.MALFORMED, f"SRV {entry.srv} carries sr:{SRV_BODY_ELEMENTS.get(entry.srv)} (or a "
                                               f"SignedPreCommand), not sr:{body}.")
    return None


def _variants(entry) -> str:
    return "command variant " + " or ".join(str(v) for v in entry.command_variants)
