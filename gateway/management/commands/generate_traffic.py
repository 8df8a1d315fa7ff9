"""``manage.py generate_traffic --months M --per-day N``: months of realistic service-request traffic over
the estate in the inventory, bulk-loaded (COPY) into the partitioned service-request log."""
from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gateway.traffic import traffic_generate


class Command(BaseCommand):
    help = "Fill the service-request log with M months of realistic traffic (N requests a day)."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=3, help="Months of history, this month included.")
        parser.add_argument("--per-day", type=int, default=1000, help="Requests per day.")
        parser.add_argument("--seed", type=int, default=169, help="Random seed (same seed, same traffic).")
        parser.add_argument("--end", help="Last day, YYYY-MM-DD (default: now).")

    def handle(self, *args, months: int, per_day: int, seed: int, end: str | None, **options):
        if months < 1 or per_day < 1:
            raise CommandError("--months and --per-day must be at least 1.")
        until = timezone.now()
        if end:
            try:
                until = dt.datetime.combine(dt.date.fromisoformat(end), dt.time(23, 59, 59), tzinfo=dt.UTC)
            except ValueError as error:
                raise CommandError("--end must be a date written YYYY-MM-DD.") from error
        try:
            counts = traffic_generate(months=months, per_day=per_day, end=until, seed=seed)
        except ValueError as error:
            raise CommandError(str(error)) from error
        total = sum(counts.values())
        summary = ", ".join(f"{code} {count}" for code, count in counts.most_common())
        self.stdout.write(self.style.SUCCESS(f"Wrote {total} service requests ({summary})."))
