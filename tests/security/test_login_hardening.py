"""Login and sessions (OWASP ASVS 6.1.1 / 6.3.1 brute force; session fixation and logout).

django-axes counts failed logins per username and IP address: 5 in a row lock that pair out for 15
minutes with a page that says so (HTTP 429); other users, and the same user from another address, can
still log in; a successful login resets the count.
"""
from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.services import api_token_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PASSWORD = "correct-horse-battery"
HERE, ELSEWHERE = "198.51.100.7", "203.0.113.9"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", password=PASSWORD)


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", password=PASSWORD)


def _login(username: str, password: str, *, ip: str = HERE, client: Client | None = None):
    client = client or Client(REMOTE_ADDR=ip)
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(username: str, times: int, *, ip: str = HERE) -> list[int]:
    return [_login(username, "wrong-password", ip=ip).status_code for _ in range(times)]


def test_settings_lock_out_after_five_failures_for_fifteen_minutes_by_username_and_ip():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_four_failures_leave_the_login_open(alice):
    assert _fail("alice", 4) == [200, 200, 200, 200]
    response = _login("alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_fifth_failure_locks_the_username_out_from_that_address_with_a_clear_page(alice):
    assert _fail("alice", 5) == [200, 200, 200, 200, 429]
    response = _login("alice", PASSWORD)
    assert response.status_code == 429, "even the right password is refused while locked out"
    page = response.content.decode()
    assert "Too many failed logins" in page and "alice" in page and "0:15:00" in page
    assert "_auth_user_id" not in response.wsgi_request.session


def test_lockout_does_not_lock_out_other_users_from_the_same_address(alice, bob):
    _fail("alice", 5)
    response = _login("bob", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_lockout_does_not_lock_out_the_same_user_from_another_address(alice):
    _fail("alice", 5)
    assert _login("alice", PASSWORD, ip=ELSEWHERE).status_code == 302


def test_a_successful_login_resets_the_failure_count(alice):
    _fail("alice", 4)
    assert _login("alice", PASSWORD).status_code == 302
    assert _fail("alice", 4) == [200, 200, 200, 200], "the count started again after the success"
    assert _login("alice", PASSWORD).status_code == 302


def test_lockout_ends_after_the_cool_off(alice):
    _fail("alice", 5)
    AccessAttempt.objects.filter(username="alice").update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert _login("alice", PASSWORD).status_code == 302


def test_unknown_usernames_are_locked_out_too(db):
    """Guessing usernames is throttled the same way (and answers the same as a wrong password)."""
    assert _fail("nobody-here", 5) == [200, 200, 200, 200, 429]


def test_api_tokens_and_sessions_keep_working_with_axes(alice, client):
    """Axes sits in front of password logins only: token authentication and existing sessions are unchanged."""
    _fail("alice", 5)
    _token, key = api_token_issue(user=alice)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-party-list")).status_code == 200
    client.force_login(alice)
    assert client.get(reverse("home")).status_code == 200


def test_login_gives_a_new_session_id(alice):
    """Session fixation: a session id known before the login is useless after it."""
    client = Client(REMOTE_ADDR=HERE)
    client.get(reverse("login"))
    session = client.session
    session["planted"] = True
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    assert _login("alice", PASSWORD, client=client).status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


def test_logout_ends_the_session_on_the_server(alice):
    client = Client(REMOTE_ADDR=HERE)
    _login("alice", PASSWORD, client=client)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code == 302
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = thief.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
