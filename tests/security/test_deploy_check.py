"""Production settings (``portal.settings_production``): Django's deployment checklist passes with no
warning and nothing silenced, HTTPS is enforced (redirect, HSTS, Secure ``__Host-`` cookies), and the
module refuses to start without its secrets.

Each check runs in a subprocess: settings are read once per process, and the suite's own process runs
``portal.settings``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# Nothing here connects to them: the checks and the requests below need no database or broker.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings_production",
    "SECRET_KEY": "p" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "ssi.dcc.example",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgres://portal@127.0.0.1:1/portal",
    "REDIS_URL": "redis://127.0.0.1:1/0",
}


#: Variables of the test run itself that a production process never has (the Playwright suite sets
#: DJANGO_ALLOW_ASYNC_UNSAFE for its live server), so they are not passed on.
TEST_ONLY_VARIABLES = ("DEBUG", "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE")


def _run(args: list[str], **overrides: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
    env.update(PRODUCTION_ENV)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, *args], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout + result.stderr


def test_production_settings_turn_on_https_hsts_and_secure_cookies():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'ssl_redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS,"
        "'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'preload': s.SECURE_HSTS_PRELOAD,"
        "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        "'httponly': s.SESSION_COOKIE_HTTPONLY, 'session_name': s.SESSION_COOKIE_NAME, 'csrf_name': s.CSRF_COOKIE_NAME,"
        "'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'], 'frame': s.X_FRAME_OPTIONS}))"
    )
    result = _run(["-c", code])
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "debug": False, "ssl_redirect": True, "hsts": 31_536_000, "subdomains": True, "preload": True,
        "session_secure": True, "csrf_secure": True, "httponly": True, "session_name": "__Host-sessionid",
        "csrf_name": "__Host-csrftoken", "csp": ["'self'"], "frame": "DENY",
    }


def test_production_redirects_plain_http_and_sends_hsts_over_https():
    code = (
        "import django, json; django.setup(); from django.test import Client; c = Client();"
        "plain = c.get('/accounts/login/', HTTP_HOST='ssi.dcc.example');"
        "tls = c.get('/accounts/login/', HTTP_HOST='ssi.dcc.example', HTTP_X_FORWARDED_PROTO='https');"
        "print(json.dumps({'plain': [plain.status_code, plain.get('Location')],"
        "'hsts': tls.get('Strict-Transport-Security'), 'csp': tls.get('Content-Security-Policy')}))"
    )
    result = _run(["-c", code])
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["plain"] == [301, "https://ssi.dcc.example/accounts/login/"]
    assert values["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "upgrade-insecure-requests" in values["csp"] and "script-src 'self'" in values["csp"]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"])
def test_production_settings_refuse_to_start_without_their_secrets(missing):
    result = _run(["manage.py", "check"], **{missing: None})
    assert result.returncode != 0
    assert f"Production settings need the {missing} environment variable." in result.stderr
