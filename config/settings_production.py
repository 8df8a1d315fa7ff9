"""Production settings: ``portal.settings`` plus HTTPS everywhere. Use with
``DJANGO_SETTINGS_MODULE=portal.settings_production``; ``manage.py check --deploy`` is clean with it.

Required environment (the module refuses to load without them, rather than run with a default):
``SECRET_KEY`` (50+ random characters), ``ALLOWED_HOSTS``, ``FIELD_ENCRYPTION_KEYS``, ``DATABASE_URL``,
``REDIS_URL``. See docs/security.md for rotating the keys.
"""
from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"Production settings need the {_name} environment variable.")

from config.settings import *  # noqa: E402,F403
from config.settings import env  # noqa: E402

DEBUG = False
# Old SECRET_KEYs, still accepted for sessions and signatures while a rotation settles (docs/security.md).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# Never the demo's mail catcher, CSP endpoint and their pages, whatever the environment says.
DEMO_MAILBOX_ENABLED = False

# --- HTTPS ----------------------------------------------------------------------------------
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (the proxy must strip it from clients).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer's health probe may call plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/$"]
# HSTS: a year, subdomains included, preload-ready. Start lower (SECURE_HSTS_SECONDS=300) on a new domain.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# --- Cookies --------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)  # a working day
SESSION_COOKIE_NAME = "__Host-sessionid"  # __Host-: Secure, Path=/, no Domain - the browser enforces all three
CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Headers (the CSP, X-Frame-Options DENY, nosniff and Referrer-Policy come from portal.settings) --
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {**CONTENT_SECURITY_POLICY["DIRECTIVES"], "upgrade-insecure-requests": True},  # noqa: F405
}
