"""``manage.py api_token --party CODE [--username NAME]``: a user of that party and a new token.

The token is printed on the last line of the output (docs/API.md's operations contract).
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.models import Party, User
from portal.services import api_token_issue


class Command(BaseCommand):
    help = "Create (or reuse) a user of a party and print a new API token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--party", required=True, help="Party code, e.g. DCC")
        parser.add_argument("--username", help="Default: <party code, lower case>-api")

    @transaction.atomic
    def handle(self, *args, party: str, username: str | None, **options):
        found = Party.objects.filter(code=party).first()
        if found is None:
            known = ", ".join(Party.objects.order_by("code").values_list("code", flat=True)[:30])
            raise CommandError(f"No party with code {party!r}. Known codes: {known or 'none (run demo_data)'}")
        username = username or f"{found.code.lower()}-api"
        user, created = User.objects.get_or_create(username=username, defaults={"party": found})
        if not created and user.party_id != found.pk:
            raise CommandError(f"User {username!r} exists and belongs to party {user.party}, not {found.code}.")
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        _token, key = api_token_issue(user=user, name="issued by manage.py api_token")
        self.stdout.write(f"{'Created' if created else 'Reusing'} user {username} of {found}.")
        self.stdout.write(key)
