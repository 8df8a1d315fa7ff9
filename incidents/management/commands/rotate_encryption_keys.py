"""``manage.py rotate_encryption_keys``: re-encrypt every stored install code with the newest key.

Rotation: put a new Fernet key FIRST in ``FIELD_ENCRYPTION_KEYS`` (keep the old ones after it),
deploy, run this command, then remove the old keys.
"""
from django.core.management.base import BaseCommand

from incidents.services import incident_notes_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt stored secrets (install codes) with the newest key in FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options):
        count = incident_notes_reencrypt(batch_size=batch_size)
        self.stdout.write(f"Re-encrypted {count} install code(s) with the newest key.")
