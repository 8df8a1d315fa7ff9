"""Issue 14 finding 3: no encryption key in the source.

With ``FIELD_ENCRYPTION_KEYS`` unset the portal used a Fernet key written in ``portal/settings.py``, so
anyone with the source could decrypt the install codes of any demo database. Now an installation
without the variable generates its own key once, keeps it in the local data folder
(``.local/field-encryption.key``, or ``FIELD_ENCRYPTION_KEY_FILE``) readable only by its owner, and
reuses it on every later start. A configured variable wins; production settings still require it
(``tests/security/test_deploy_check.py::test_production_settings_refuse_to_start_without_their_secrets``).

Settings are read once per process, so the settings-level checks run in a subprocess.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.embedded import local_field_encryption_key

BASE_DIR = Path(settings.BASE_DIR)
#: A Fernet key: 32 bytes in URL-safe base64, 44 characters ending in '='.
FERNET_LOOKING = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}=(?![A-Za-z0-9_\-=])")


def _is_fernet_key(text: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(text)) == 32
    except (binascii.Error, ValueError):
        return False


def settings_keys(key_file: Path, **environment: str) -> list[str]:
    """``FIELD_ENCRYPTION_KEYS`` as a fresh ``portal.settings`` process sees it."""
    env = {name: value for name, value in os.environ.items() if name != "FIELD_ENCRYPTION_KEYS"}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "FIELD_ENCRYPTION_KEY_FILE": str(key_file),
                **environment})
    code = "import json; from django.conf import settings; print(json.dumps(settings.FIELD_ENCRYPTION_KEYS))"
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_fernet_key_literal_in_the_settings_source():
    for source in sorted((BASE_DIR / "portal").glob("settings*.py")):
        keys = [match for match in FERNET_LOOKING.findall(source.read_text()) if _is_fernet_key(match)]
        assert not keys, f"{source.name} holds a Fernet key: {keys}"


def test_a_fresh_folder_gets_a_key_file_only_its_owner_can_read(tmp_path):
    key_file = tmp_path / "fresh" / "field-encryption.key"

    keys = settings_keys(key_file)

    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert keys == [key_file.read_text().strip()]
    Fernet(keys[0])  # a usable key
    assert not list(key_file.parent.glob(".field-key-*")), "the temporary file is left behind"


def test_the_same_key_is_reused_on_later_starts(tmp_path):
    key_file = tmp_path / "field-encryption.key"

    first, second = settings_keys(key_file), settings_keys(key_file)

    assert first == second
    token = Fernet(first[0]).encrypt(b"30313233343536373839414243444546")
    assert Fernet(second[0]).decrypt(token) == b"30313233343536373839414243444546"


def test_a_configured_variable_wins_and_no_key_file_is_made(tmp_path):
    key_file = tmp_path / "field-encryption.key"
    configured = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]

    assert settings_keys(key_file, FIELD_ENCRYPTION_KEYS=",".join(configured)) == configured
    assert not key_file.exists()


def test_installations_get_different_keys(tmp_path):
    assert local_field_encryption_key(tmp_path / "one.key") != local_field_encryption_key(tmp_path / "two.key")


def test_processes_starting_together_agree_on_one_key(tmp_path):
    """The launcher starts web, worker and beat at once: they must not each write a key of their own."""
    key_file = tmp_path / "field-encryption.key"
    start = threading.Barrier(8)
    keys: list[str] = []

    def first_start() -> None:
        start.wait()
        keys.append(local_field_encryption_key(key_file))

    threads = [threading.Thread(target=first_start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(keys) == 8 and set(keys) == {key_file.read_text().strip()}


def test_a_key_file_readable_by_others_is_made_private_again(tmp_path):
    key_file = tmp_path / "field-encryption.key"
    key = local_field_encryption_key(key_file)
    key_file.chmod(0o644)

    assert local_field_encryption_key(key_file) == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_damaged_key_file_is_refused_not_replaced(tmp_path):
    """Replacing it would silently make every stored install code unreadable."""
    key_file = tmp_path / "field-encryption.key"
    key_file.write_text("not a key\n")

    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        local_field_encryption_key(key_file)
    assert key_file.read_text() == "not a key\n"
