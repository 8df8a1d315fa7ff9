"""Every page is sent with the security headers, cookies are locked down in production, and POST forms carry CSRF.

The Content-Security-Policy allows scripts and styles from the portal's own files only, so the
templates may hold no inline ``<script>``, ``<style>`` or ``style=`` (they would be blocked in the
browser); the template scans below keep every app's templates to that.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

BASE_DIR = Path(settings.BASE_DIR)
PROJECT_APPS = ["portal", "inventory", "gateway", "incidents", "reporting"]


def _project_templates() -> list[Path]:
    folders = [BASE_DIR / "templates", *(BASE_DIR / app / "templates" for app in PROJECT_APPS)]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.html"))


def _csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def _assert_page_headers(response) -> None:
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"], "no inline scripts or styles"
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["form-action"] == ["'self'"] and csp["base-uri"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_login_page_is_sent_with_csp_frame_nosniff_and_referrer_headers(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    _assert_page_headers(response)


@pytest.mark.parametrize("url_name", ["home", "api-tokens", "inventory:device-list", "incidents:incident-list"])
def test_signed_in_pages_are_sent_with_the_security_headers(client, supplier, url_name):
    client.force_login(UserFactory(party=supplier))
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    _assert_page_headers(response)


def test_api_responses_are_not_sniffed_or_framed(api_client_for, supplier):
    response = api_client_for(supplier).get("/api/v1/parties/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_production_settings_make_session_and_csrf_cookies_secure():
    """With no DEBUG and no SECURE_COOKIES override (production), both cookies are Secure; HttpOnly session."""
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECURE_COOKIES")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.DEBUG)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "True", "True", "Lax", "False"]


def test_session_cookie_after_log_in_is_secure_httponly_and_samesite(client, supplier, settings):
    settings.SESSION_COOKIE_SECURE = True
    UserFactory(party=supplier, username="cookie-user")
    response = client.post(reverse("login"), {"username": "cookie-user", "password": "correct-horse-battery"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_post_without_csrf_token_is_refused(db, supplier):
    UserFactory(party=supplier, username="csrf-user")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "csrf-user", "password": "correct-horse-battery"})
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session


_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)
_POST = re.compile(r"""method\s*=\s*["']?post""", re.IGNORECASE)
#: ``{% csrf_token %}``, or the field it renders written out (inclusion tags that pass ``csrf_token`` on).
_CSRF_FIELD = re.compile(
    r"""\{%\s*csrf_token\s*%\}|name=["']csrfmiddlewaretoken["'][^>]*value=["']\{\{\s*csrf_token\s*\}\}"""
)


def test_every_post_form_in_the_templates_carries_a_csrf_token():
    missing = [
        f"{path.relative_to(BASE_DIR)}: {form[:80]!r}"
        for path in _project_templates()
        for form in _FORM.findall(path.read_text())
        if _POST.search(form.split(">", 1)[0]) and not _CSRF_FIELD.search(form)
    ]
    assert not missing, "POST forms without {% csrf_token %}:\n" + "\n".join(missing)


_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
_INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def test_templates_hold_no_inline_scripts_styles_or_event_handlers():
    offending = [
        f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()[:100]}"
        for path in _project_templates()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if _INLINE_SCRIPT.search(line) or _INLINE_STYLE.search(line) or _INLINE_HANDLER.search(line)
    ]
    assert not offending, "The CSP blocks these (move them to static/<app>/ files):\n" + "\n".join(offending)
