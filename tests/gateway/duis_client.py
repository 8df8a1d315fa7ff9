"""The real DUIS client in tests: requests signed, and answers validated, by the DCC Boxed signing tool
(``dist/tool.jar`` of the npm package ``@smartdcc/duis-sign-wrap``), fetched by ``gateway.duis.boxed`` into
``.local/dccboxed/`` on first use; plus ``xmlsec1`` as an independent verifier of the DSP's signature.

Fixtures (import them into a test module, or use them from ``tests/gateway``):

* ``boxed_tool`` (session): a running ``BoxedTool`` (one JVM for the session, ``boxed/BoxedTool.java``);
* ``duis_identities``: party ``HRTH`` holding the test supplier User ID ``90-B3-D5-1F-30-01-00-00`` and ``ENNW``
  the test network operator's ``90-B3-D5-1F-30-02-00-00``, each with its ZAZ1 certificate (API.md);
* ``duis_client_for(party)``: an API client whose ``duis(data)`` signs ``data`` with the tool and posts it.

Without Java or the npm registry the tool cannot be had: in CI (``CI`` set) the tests fail loudly, elsewhere
they are skipped with the reason.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from gateway.duis import boxed

HARNESS = Path(__file__).resolve().parent / "boxed" / "BoxedTool.java"
SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"
SR = f"{{{SR_NS}}}"
SUPPLIER_USER_ID = boxed.TEST_SUPPLIER_USER_ID
NETWORK_OPERATOR_USER_ID = boxed.TEST_NETWORK_OPERATOR_USER_ID
DSP_USER_ID = boxed.DSP_USER_ID


def _der_to_pem(der: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_der_private_key(der, password=None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"The DCC Boxed signing tool is needed in CI: {reason}", pytrace=False)
    pytest.skip(f"DCC Boxed signing tool unavailable: {reason}")


class BoxedTool:
    """One JVM running the tool's Sign and Validate over many messages (see ``boxed/BoxedTool.java``)."""

    def __init__(self, jar: Path) -> None:
        self.jar = jar
        self.keys = jar.parent / "keys"
        self.folder = Path(tempfile.mkdtemp(prefix="boxed-", dir=jar.parent))
        self.log = open(self.folder / "tool.log", "w")  # noqa: SIM115 (lives as long as the process)
        self.process = subprocess.Popen(
            ["java", "-cp", str(jar), str(HARNESS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, text=True, bufsize=1,
        )
        self.lock = threading.Lock()
        self.jobs = 0

    def _run(self, mode: str, data: bytes, *extra: str) -> tuple[str, bytes]:
        with self.lock:
            self.jobs += 1
            source = self.folder / f"{self.jobs}.in.xml"
            target = self.folder / f"{self.jobs}.out.xml"
            source.write_bytes(data)
            self.process.stdin.write("\t".join([mode, str(target), str(source), *extra]) + "\n")
            self.process.stdin.flush()
            code = self.process.stdout.readline().strip()
            if not code:
                raise RuntimeError(f"The DCC Boxed tool stopped; see {self.folder / 'tool.log'}")
            return code, target.read_bytes() if target.exists() else b""

    def sign(self, data: bytes, *, as_user_id: str | None = None, identity: DemoIdentity | None = None) -> bytes:
        """Sign a request as the tool does: the counter becomes the current milliseconds and the key is that of
        the RequestID's originator; or the key of the test identity ``as_user_id`` or of a demo-CA ``identity``,
        whatever the RequestID says."""
        extra: tuple[str, ...] = ()
        if as_user_id:
            compact = as_user_id.replace("-", "")
            prefix = "dsp-xml-sign" if as_user_id == DSP_USER_ID else "xml-sign"
            extra = (str(self.keys / f"{prefix}-{compact}-ds.pem"),
                     str(self._pem_key(self.keys / f"{prefix}-{compact}-ds.key")))
        elif identity is not None:
            extra = (str(identity.certificate_path), str(identity.key_path))
        code, signed = self._run("sign", data, *extra)
        assert code == "SUCCESS", f"the DCC Boxed tool refused to sign ({code}): {data[:300]!r}"
        return signed

    def _pem_key(self, der_path: Path) -> Path:
        """The tool reads a key given on its command line as PKCS#8 PEM (its bundled keys are DER)."""
        pem_path = self.folder / (der_path.name + ".pem")
        if not pem_path.exists():
            pem_path.write_bytes(_der_to_pem(der_path.read_bytes()))
        return pem_path

    def validate(self, data: bytes) -> bool:
        """The tool's own check of a DSP-signed answer (DUIS 5.1 XSD first, then the DSP's signature)."""
        code, _ = self._run("validate", data)
        return code == "SUCCESS"

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


_shared: BoxedTool | None = None


def shared_boxed_tool() -> BoxedTool:
    """The session's one running tool (started on first use; fails in CI, skips elsewhere, when unavailable)."""
    global _shared
    if _shared is None:
        if shutil.which("java") is None:
            _unavailable("java is not on PATH")
        try:
            jar = boxed.boxed_jar()
        except boxed.BoxedToolUnavailable as error:
            _unavailable(str(error))
        _shared = BoxedTool(jar)
        atexit.register(_shared.close)
    return _shared


@pytest.fixture(scope="session")
def boxed_tool():
    return shared_boxed_tool()


def originator_replaced(data: bytes, user_id: str) -> bytes:
    """The request with its RequestID's originator (first EUI-64) replaced by ``user_id``."""
    root = etree.fromstring(data)
    node = root.find(f"{SR}Header/{SR}RequestID")
    node.text = ":".join([user_id, *node.text.strip().split(":")[1:]])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def counter_of(data: bytes) -> int:
    return int(etree.fromstring(data).findtext(f"{SR}Header/{SR}RequestID").rsplit(":", 1)[1])


def xmlsec1_verifies(data: bytes, certificate_pem: str) -> bool:
    """``xmlsec1 --verify --pubkey-cert-pem <DSP certificate> answer.xml`` (the reference is ``URI=""``, so no
    ``--id-attr`` is needed). Skipped outside CI when xmlsec1 is not installed; in CI it must be."""
    if shutil.which("xmlsec1") is None:
        if os.environ.get("CI"):
            pytest.fail("xmlsec1 is needed in CI (apt-get install xmlsec1)", pytrace=False)
        pytest.skip("xmlsec1 is not installed")
    with tempfile.TemporaryDirectory() as folder:
        answer, cert = Path(folder) / "answer.xml", Path(folder) / "dsp.pem"
        answer.write_bytes(data)
        cert.write_text(certificate_pem)
        done = subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", str(cert), str(answer)],
                              capture_output=True, text=True, timeout=60, check=False)
    return done.returncode == 0


@dataclass(frozen=True)
class DemoIdentity:
    """A User ID with a demo-CA certificate and key on disk (for parties the DCC Boxed tool has no key for)."""

    user_id: str
    certificate_pem: str
    certificate_path: Path
    key_path: Path


def demo_identity(folder: Path, user_id: str, **certificate) -> DemoIdentity:
    from gateway.duis.demo_ca import demo_certificate_issue

    pem, der = demo_certificate_issue(user_id=user_id, folder=folder, **certificate)
    compact = user_id.replace("-", "")
    cert_path, key_path = folder / f"{compact}.pem", folder / f"{compact}.key"
    cert_path.write_text(pem)
    key_path.write_bytes(_der_to_pem(der))
    return DemoIdentity(user_id=user_id, certificate_pem=pem, certificate_path=cert_path, key_path=key_path)


@pytest.fixture
def identity_registrar(db, dcc_party):
    """Register a DUIS identity through the DCC's service (as the DCC service desk would)."""
    from gateway.duis.identities import duis_identity_register
    from tests.factories import UserFactory

    desk = UserFactory(party=dcc_party, username="dcc-identities")

    def _register(party, user_id: str, role: str, certificate_pem: str):
        return duis_identity_register(actor=desk, party=party, user_id=user_id, role=role,
                                      certificate_pem=certificate_pem, reason="test data")
    return _register


@pytest.fixture
def duis_identities(db, boxed_tool, identity_registrar):
    """HRTH (test supplier, IS and GS, User ID 90-B3-D5-1F-30-01-00-00 as IS) and ENNW (test network operator, ED,
    90-B3-D5-1F-30-02-00-00), each with its ZAZ1 certificate from the DCC Boxed tool (API.md)."""
    from portal.models import Party
    from tests.factories import NetworkOperatorFactory, SupplierFactory

    supplier = Party.objects.filter(code="HRTH").first() or SupplierFactory(code="HRTH", name="Hearth Energy")
    operator = Party.objects.filter(code="ENNW").first() or NetworkOperatorFactory(
        code="ENNW", name="Electricity North West")
    identity_registrar(supplier, SUPPLIER_USER_ID, "IS", boxed.boxed_certificate_pem(SUPPLIER_USER_ID))
    identity_registrar(operator, NETWORK_OPERATOR_USER_ID, "ED", boxed.boxed_certificate_pem(NETWORK_OPERATOR_USER_ID))
    return supplier, operator


@pytest.fixture
def demo_identities(tmp_path, identity_registrar):
    """``issue(party, user_id, role)``: a demo-CA identity registered for ``party``, with its key on disk."""
    def _issue(party, user_id: str, role: str, **certificate) -> DemoIdentity:
        made = demo_identity(tmp_path, user_id, **certificate)
        identity_registrar(party, user_id, role, made.certificate_pem)
        return made
    return _issue


class DuisSender:
    """Posts DUIS requests for one party through its API token, signed by the DCC Boxed tool (the one way the
    gateway tests send DUIS)."""

    def __init__(self, client, tool: BoxedTool) -> None:
        self.client, self.tool, self.last_sent = client, tool, b""

    def post(self, data: bytes, *, sign: bool = True, originator: str | None = None,
             identity: DemoIdentity | None = None, as_user_id: str | None = None):
        if originator or identity:
            data = originator_replaced(data, originator or identity.user_id)
        if sign:
            data = self.tool.sign(data, identity=identity, as_user_id=as_user_id)
        self.last_sent = data
        return self.client.post("/duis/", data=data, content_type="application/xml")


@pytest.fixture
def duis_sender(boxed_tool, api_client_for):
    """``duis_sender(party)``: a ``DuisSender`` with a new API token of ``party``."""
    return lambda party: DuisSender(api_client_for(party), boxed_tool)
