"""The users the benchmark acts as, each with a real API token issued by the portal's own service."""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.test import Client

from benchmarks.context import Actor
from benchmarks.database import BenchmarkError


def _actor(party, username: str) -> Actor:
    from portal.models import User
    from portal.services import api_token_issue

    user, _created = User.objects.get_or_create(username=username, defaults={"party": party})
    _token, key = api_token_issue(user=user, name="python -m benchmarks")
    browser = Client()
    browser.force_login(user)
    session_key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return Actor(party_id=party.pk, party_code=party.code, user_id=user.pk, token=key, session_key=session_key)


def largest_import_supplier_id() -> int:
    """The Import Supplier responsible for the most devices (the 'one large supplier' of the extract)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.responsible_supplier_id FROM inventory_device d "
            "JOIN portal_party p ON p.id = d.responsible_supplier_id "
            "WHERE 'IS' = ANY(p.roles) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        row = cursor.fetchone()
    if row is None:
        raise BenchmarkError("The dataset has no device with an Import Supplier: did demo_data run?")
    return row[0]


def benchmark_actors() -> tuple[Actor, Actor]:
    from portal.models import DCC_PARTY_CODE, Party

    dcc = _actor(Party.objects.get(code=DCC_PARTY_CODE), "bench-dcc")
    supplier = _actor(Party.objects.get(pk=largest_import_supplier_id()), "bench-supplier")
    return dcc, supplier
