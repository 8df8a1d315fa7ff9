"""DUIS security as the DCC runs it (DOMAIN.md RD-1, RD-2, RD-4): certificates of DUIS User IDs, verification of
a request's XML signature, and the DSP's signature on every answer.

The XML-signature work is signxml's (a maintained XMLDSig library on lxml and ``cryptography``): this module
never canonicalises or digests by hand. What DUIS fixes, and is checked here before and around the library:

* exactly one ``ds:Signature``, the last child of ``sr:Request``, enveloped over the whole document
  (one ``ds:Reference`` with ``URI=""`` and the enveloped-signature transform);
* exclusive C14N for ``SignedInfo``, ECDSA-SHA256, SHA-256 digests: nothing else is accepted;
* ``KeyInfo`` names the certificate by ``X509IssuerSerial``; it must name the originator's registered
  certificate, which is the only key tried (the document never supplies its own certificate or key).

The verified content is what signxml returns (``signed_xml``), so the caller acts only on signed bytes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLSigner, XMLVerifier
from signxml.exceptions import InvalidInput, SignXMLException

from portal.errors import ValidationFailed

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = f"{{{DS_NS}}}"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

_EXPECTED = SignatureConfiguration(
    location="./", expect_references=1, require_x509=True,
    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)


class SignatureRefused(Exception):
    """The request's signature is missing, malformed, not by the named certificate, or does not verify."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- Certificates ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateFacts:
    certificate: x509.Certificate
    user_id: str | None  # the EUI-64 of the subject's x500UniqueIdentifier, dashed
    serial: str  # decimal, as XMLDSig's X509SerialNumber writes it
    issuer: str  # RFC 4514
    not_before: dt.datetime
    not_after: dt.datetime


def certificate_user_id(certificate: x509.Certificate) -> str | None:
    """The DUIS User ID a ZAZ1/SMKI organisation certificate is for: the subject's ``x500UniqueIdentifier``, a
    BIT STRING holding the 8-byte EUI-64 (the ZAZ1 certificates carry ``#03090090B3D51F30010000``)."""
    values = certificate.subject.get_attributes_for_oid(x509.NameOID.X500_UNIQUE_IDENTIFIER)
    if len(values) != 1:
        return None
    raw = values[0].value
    raw = raw if isinstance(raw, bytes) else str(raw).encode("latin-1")
    if len(raw) == 9 and raw[0] == 0:  # the BIT STRING's "unused bits" octet, then the EUI-64
        raw = raw[1:]
    if len(raw) != 8:
        return None
    return "-".join(f"{byte:02X}" for byte in raw)


def certificate_facts(pem: str | bytes) -> CertificateFacts:
    """Parse a PEM certificate (``ValidationFailed`` if it is not one, or not an ECDSA P-256 signing certificate)."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        certificate = x509.load_pem_x509_certificate(data.strip())
    except ValueError as error:
        raise ValidationFailed(
            "The certificate is not a PEM X.509 certificate (-----BEGIN CERTIFICATE-----...).",
            code="invalid_certificate", errors={"certificate_pem": ["Not a PEM X.509 certificate."]},
        ) from error
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValidationFailed(
            "DUIS signing certificates hold an ECDSA P-256 key (SMKI organisation certificate).",
            code="invalid_certificate", errors={"certificate_pem": ["Not an ECDSA P-256 certificate."]},
        )
    return CertificateFacts(
        certificate=certificate, user_id=certificate_user_id(certificate), serial=str(certificate.serial_number),
        issuer=certificate.issuer.rfc4514_string(), not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


@lru_cache(maxsize=512)
def certificate_cached(pem: str) -> x509.Certificate:
    """Registered certificates are parsed once per process (a PEM text is immutable, so its parse is too)."""
    return x509.load_pem_x509_certificate(pem.encode())


def _names_match(written: str, issuer: x509.Name) -> bool:
    """X509IssuerName as a signer writes it (``CN=Z1,OU=07`` or ``CN=Z1, OU=07``) against the certificate's issuer."""
    def normal(text: str) -> list[str]:
        return sorted(part.strip().upper().replace(" ", "") for part in text.split(","))
    return normal(written) == normal(issuer.rfc4514_string())


# --- Requests ----------------------------------------------------------------------------------------

def signature_element(root: etree._Element) -> etree._Element:
    """The request's one ``ds:Signature``, which DUIS places as the last child of ``sr:Request``."""
    signatures = list(root.iter(f"{DS}Signature"))
    if not signatures:
        raise SignatureRefused("The request is not signed: DUIS requests carry an XML signature (ds:Signature).")
    if len(signatures) > 1 or signatures[0].getparent() is not root or root[-1] is not signatures[0]:
        raise SignatureRefused("A DUIS request carries exactly one ds:Signature, as the last child of sr:Request.")
    return signatures[0]


def request_signature_verify(*, data: bytes, root: etree._Element, certificate: x509.Certificate,
                             parser: etree.XMLParser) -> etree._Element:
    """Verify the enveloped signature of a DUIS request against ``certificate`` (the originator's registered
    signing certificate); return the signed document as verified, or raise ``SignatureRefused``."""
    signature = signature_element(root)
    signed_info = signature.find(f"{DS}SignedInfo")
    if signed_info is None:
        raise SignatureRefused("The signature has no SignedInfo.")
    c14n = signed_info.find(f"{DS}CanonicalizationMethod")
    method = signed_info.find(f"{DS}SignatureMethod")
    references = signed_info.findall(f"{DS}Reference")
    if c14n is None or c14n.get("Algorithm") != EXC_C14N:
        raise SignatureRefused("DUIS signatures use exclusive canonicalisation (xml-exc-c14n#).")
    if method is None or method.get("Algorithm") != ECDSA_SHA256:
        raise SignatureRefused("DUIS signatures use ECDSA-SHA256 (xmldsig-more#ecdsa-sha256).")
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureRefused("A DUIS signature has one Reference, URI=\"\", covering the whole request.")
    transforms = [node.get("Algorithm") for node in references[0].iterfind(f"{DS}Transforms/{DS}Transform")]
    if not transforms or transforms[0] != ENVELOPED or any(t not in (ENVELOPED, EXC_C14N) for t in transforms):
        raise SignatureRefused("A DUIS signature is enveloped (enveloped-signature transform, then exclusive C14N).")
    serial = signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509IssuerSerial/{DS}X509SerialNumber")
    issuer = signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509IssuerSerial/{DS}X509IssuerName")
    if serial is None or issuer is None:
        raise SignatureRefused("The signature's KeyInfo must name the signing certificate by X509IssuerSerial.")
    if serial.strip() != str(certificate.serial_number) or not _names_match(issuer, certificate.issuer):
        raise SignatureRefused(
            f"The signature names certificate {issuer.strip()[:60]} #{serial.strip()[:40]}, which is not the "
            "originator's registered signing certificate.")
    try:
        result = XMLVerifier().verify(data, x509_cert=certificate, parser=parser, expect_config=_EXPECTED)
    except (SignXMLException, InvalidInput, ValueError, etree.LxmlError) as error:
        raise SignatureRefused(f"The signature does not verify: {str(error)[:160]}") from error
    if result.signed_xml is None:
        raise SignatureRefused("The signature does not cover an XML document.")
    return result.signed_xml


# --- The DSP's signature on answers (RD-4) -----------------------------------------------------------

@dataclass(frozen=True)
class DspSigner:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    certificate_pem: str


def _read_key(path: Path) -> ec.EllipticCurvePrivateKey:
    data = path.read_bytes()
    loader = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    return loader(data, password=None)


@lru_cache(maxsize=1)
def dsp_signer() -> DspSigner:
    """The DSP's signing key and certificate: ``DUIS_DSP_SIGNING_KEY`` / ``DUIS_DSP_CERTIFICATE`` (paths, PEM or
    DER), or, when unset, the DCC Boxed test DSP ``90-B3-D5-1F-30-00-00-02`` (demo and tests)."""
    key_path = getattr(settings, "DUIS_DSP_SIGNING_KEY", "") or ""
    cert_path = getattr(settings, "DUIS_DSP_CERTIFICATE", "") or ""
    if bool(key_path) != bool(cert_path):
        raise RuntimeError("Set both DUIS_DSP_SIGNING_KEY and DUIS_DSP_CERTIFICATE, or neither (DCC Boxed test DSP).")
    if key_path:
        key = _read_key(Path(key_path))
        pem = Path(cert_path).read_text()
    else:
        from gateway.duis import boxed

        key = serialization.load_der_private_key(boxed.boxed_private_key_der(boxed.DSP_USER_ID), password=None)
        pem = boxed.boxed_certificate_pem(boxed.DSP_USER_ID)
    certificate = x509.load_pem_x509_certificate(pem.encode())
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():
        raise RuntimeError("DUIS_DSP_SIGNING_KEY does not belong to DUIS_DSP_CERTIFICATE.")
    return DspSigner(key=key, certificate=certificate, certificate_pem=pem)


def _key_info(certificate: x509.Certificate) -> etree._Element:
    key_info = etree.Element(f"{DS}KeyInfo", nsmap={"ds": DS_NS})
    issuer_serial = etree.SubElement(etree.SubElement(key_info, f"{DS}X509Data"), f"{DS}X509IssuerSerial")
    etree.SubElement(issuer_serial, f"{DS}X509IssuerName").text = certificate.issuer.rfc4514_string()
    etree.SubElement(issuer_serial, f"{DS}X509SerialNumber").text = str(certificate.serial_number)
    return key_info


def response_sign(root: etree._Element) -> bytes:
    """Sign a DUIS answer as the DSP: enveloped, exclusive C14N, ECDSA-SHA256, SHA-256, KeyInfo by
    X509IssuerSerial, the ``ds:Signature`` appended as the last child (where the schema puts it)."""
    signer = dsp_signer()
    signed = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    ).sign(root, key=signer.key, key_info=_key_info(signer.certificate))
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
