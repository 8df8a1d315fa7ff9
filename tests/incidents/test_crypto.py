"""R121-9: secrets at rest with MultiFernet; rotating keys re-encrypts and old values still decrypt."""
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from incidents.models import IncidentNote
from incidents.services import incident_add_note, incident_reveal_install_code
from portal.crypto import DecryptionFailed, decrypt_text, encrypt_text
from tests.incidents.conftest import INSTALL_CODE


def test_encrypted_text_round_trips_and_hides_the_clear_value():
    token = encrypt_text("secret-value")
    assert "secret-value" not in token and decrypt_text(token) == "secret-value"


def test_rotation_reencrypts_with_the_newest_key_and_old_rows_still_decrypt(settings, device, raise_request,
                                                                           installer_user, gaining_user):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    incident = raise_request(device)
    incident_add_note(incident=incident, actor=installer_user, body="", install_code=INSTALL_CODE)
    before = IncidentNote.objects.get().install_code_ciphertext

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert decrypt_text(before) == INSTALL_CODE  # old rows still decrypt before rotation
    call_command("rotate_encryption_keys", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT install_code_ciphertext FROM incidents_incidentnote")
        after = cursor.fetchone()[0]
    assert after != before and INSTALL_CODE not in after

    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    assert incident_reveal_install_code(incident=incident, actor=gaining_user) == INSTALL_CODE
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(DecryptionFailed):
        decrypt_text(after)
