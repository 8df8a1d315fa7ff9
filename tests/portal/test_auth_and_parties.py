import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from portal.models import ApiToken, Party
from portal.services import api_token_issue, api_token_revoke

pytestmark = pytest.mark.django_db


def test_dcc_and_csp_parties_always_exist():
    assert Party.objects.get(code="DCC").is_dcc
    assert sorted(Party.objects.filter(roles__contains=["CSP"]).values_list("csp_region", flat=True)) == [
        "Central", "North", "South",
    ]


def test_api_requires_authentication():
    response = APIClient().get("/api/v1/parties/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_parties_endpoint_lists_codes_names_and_roles(api_client_for, supplier):
    response = api_client_for(supplier).get("/api/v1/parties/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "results"}
    by_code = {row["code"]: row for row in body["results"]}
    assert by_code["DCC"]["roles"] == ["DCC"]
    assert by_code["SUPA"] == {"id": supplier.pk, "code": "SUPA", "name": "Supplier A", "roles": ["IS", "GS"]}


def test_parties_list_is_keyset_paginated(api_client_for, supplier):
    client = api_client_for(supplier)
    first = client.get("/api/v1/parties/?limit=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert second["results"][0]["id"] > first["results"][-1]["id"]
    assert client.get("/api/v1/parties/?limit=5000").status_code == 400


def test_token_is_stored_hashed_and_revocable(make_user, supplier):
    user = make_user(supplier)
    token, key = api_token_issue(user=user)
    assert key not in ApiToken.objects.filter(pk=token.pk).values_list("key_hash", flat=True)[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/parties/").status_code == 200
    api_token_revoke(token=token, actor=user)
    response = client.get("/api/v1/parties/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_api_token_command_prints_token_on_last_line(capsys, supplier):
    call_command("api_token", party="SUPA", username="sup-a-bot")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {last_line}")
    assert client.get("/api/v1/parties/").status_code == 200
    call_command("api_token", party="SUPA", username="sup-a-bot")  # reuses the user
    assert ApiToken.objects.filter(user__username="sup-a-bot").count() == 2


def test_api_token_command_rejects_unknown_party(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No party with code 'NOPE'"):
        call_command("api_token", party="NOPE")


def test_login_page_and_home(client, make_user, supplier):
    user = make_user(supplier, username="alice")
    assert client.get(reverse("home")).status_code == 302
    response = client.post(reverse("login"), {"username": "alice", "password": "correct-horse-battery"})
    assert response.status_code == 302
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert "SUPA" in page.content.decode()
    assert user.party == supplier


def test_tokens_page_creates_and_revokes(client, make_user, supplier):
    user = make_user(supplier)
    client.force_login(user)
    page = client.post(reverse("api-tokens"), {"name": "billing"})
    assert page.status_code == 200
    token = user.api_tokens.get()
    assert token.prefix in page.content.decode()
    client.post(reverse("api-token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_openapi_schema_is_served(api_client_for, supplier):
    response = api_client_for(supplier).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/parties/" in response.json()["paths"]
