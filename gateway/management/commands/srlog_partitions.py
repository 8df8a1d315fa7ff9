"""``manage.py srlog_partitions [--ahead N] [--from YYYY-MM]``: create service-request log partitions."""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gateway.partitions import add_months, month_start, partitions_ensure


class Command(BaseCommand):
    help = "Create the monthly partitions of the service-request log (this month and N months ahead)."

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=3, help="Months after this one (default 3).")
        parser.add_argument("--from", dest="first", help="First month, YYYY-MM (default: this month).")

    def handle(self, *args, ahead: int, first: str | None, **options):
        this_month = month_start(timezone.now())
        start = this_month
        if first:
            try:
                start = dt.datetime.strptime(first, "%Y-%m").date()
            except ValueError as error:
                raise CommandError("--from must be a month written YYYY-MM, e.g. 2025-01.") from error
        for name in partitions_ensure(first=start, last=add_months(this_month, ahead)):
            self.stdout.write(name)
