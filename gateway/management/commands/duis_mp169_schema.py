"""``manage.py duis_mp169_schema``: regenerate the portal's MP169 extension of the DUIS 5.4 schema."""
from django.core.management.base import BaseCommand

from gateway.duis.schema import DUIS_54_MP169, mp169_schema_bytes


class Command(BaseCommand):
    help = "Write gateway/schemas/DUIS Schema V5.4 MP169.xsd from the shipped DUIS 5.4 schema."

    def handle(self, *args, **options):
        DUIS_54_MP169.write_bytes(mp169_schema_bytes())
        self.stdout.write(f"Wrote {DUIS_54_MP169}")
