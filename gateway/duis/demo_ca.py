"""A demo certificate authority for DUIS User IDs of demo parties that the DCC Boxed tool has no identity for.

Generated at demo (or test) time with ``cryptography``: an ECDSA P-256 CA ``CN=Portal Demo CA, OU=07`` and, per
User ID, a signing certificate shaped like a ZAZ1 organisation certificate (subject ``OU=87`` and the User ID
as the ``x500UniqueIdentifier`` BIT STRING). Nothing here is a real party's key: the CA and the keys live under
``.local/demo-ca/`` (or a folder given) and are never committed.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from django.conf import settings

CA_NAME = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "Portal Demo CA")])


def demo_ca_dir() -> Path:
    return Path(settings.BASE_DIR) / ".local" / "demo-ca"


def _ca(folder: Path) -> ec.EllipticCurvePrivateKey:
    path = folder / "ca.key"
    if path.exists():
        return serialization.load_der_private_key(path.read_bytes(), password=None)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return key


def user_id_name(user_id: str) -> x509.Name:
    """A ZAZ1-shaped subject: ``OU=87`` and the User ID's 8 bytes as ``x500UniqueIdentifier`` (a BIT STRING)."""
    raw = b"\x00" + bytes.fromhex(user_id.replace("-", ""))
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "87"),
                      x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, raw, _ASN1Type.BitString)])


def demo_certificate_issue(*, user_id: str, folder: Path | None = None, not_before: dt.datetime | None = None,
                           not_after: dt.datetime | None = None, subject: x509.Name | None = None,
                           ) -> tuple[str, bytes]:
    """A new signing key and certificate for ``user_id`` from the demo CA: (certificate PEM, key as PKCS#8 DER,
    the form the DCC Boxed tool reads). ``subject`` overrides the name (tests of a mismatching certificate)."""
    folder = folder or demo_ca_dir()
    ca = _ca(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject or user_id_name(user_id)).issuer_name(CA_NAME)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=3650))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(ca, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, der
