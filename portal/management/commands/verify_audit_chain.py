"""``manage.py verify_audit_chain [--table T ...]``: recompute the audit hash chains from the rows.

Prints "intact" with the number of links per table and exits 0, or the first break of each broken
table (table, record id, what is wrong, expected vs stored hash) and exits 1.
"""
from django.core.management.base import BaseCommand, CommandError

from portal.audit_chain import AUDITED_TABLES, verify_audit_chains


class Command(BaseCommand):
    help = "Recompute every audit hash chain and report the first break (exit code 1) or 'intact'."

    def add_arguments(self, parser):
        parser.add_argument(
            "--table", action="append", choices=AUDITED_TABLES, dest="tables",
            help="Only this audit table (repeatable). Default: every audited table.",
        )

    def handle(self, *args, tables: list[str] | None, **options):
        report = verify_audit_chains(tables=tables)
        for table, count in report.counts.items():
            self.stdout.write(f"{table}: {count} link(s)")
        if not report.intact:
            for found in report.breaks:
                self.stderr.write(f"BROKEN {found}")
            raise CommandError("Audit chain broken.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"intact: {sum(report.counts.values())} link(s) verified"))
