"""Browser tests: Playwright driving the system Chromium against a live server on the real test database.

One browser for the whole session; each test opens one browser context per user it acts as
(signed in by a real session cookie, so only the log-in journey types a password). Every page
opened through ``open_as`` is watched for Content-Security-Policy violations and JavaScript
errors: a page that needs an inline script or style fails its test. ``axe_violations`` runs
axe-core (vendored, see ``vendor/README.md``) in a separate context that bypasses the CSP, only
so that the axe script itself can be injected.

Screenshots go to ``test-artifacts/screenshots/`` (ignored by git); the best few are copied to
``docs/screenshots/`` by hand.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

# Playwright's sync API keeps an asyncio loop in this thread; the tests still use the ORM synchronously
# (factories, assertions), which Django refuses inside a running loop unless told it is safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(django_settings.BASE_DIR) / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
#: The sizes issue #19 names: a desktop and a phone (CSS pixels), and WCAG 1.4.10's reflow width.
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
REFLOW = {"width": 320, "height": 640}
#: axe impacts that fail a test; moderate and minor ones are printed for the report.
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def serialized_db_contents(django_db_setup, django_db_blocker) -> str | None:
    """The snapshot pytest-django took of the new test database (seeded rows), read before Playwright starts."""
    return getattr(connections[DEFAULT_DB_ALIAS], "_test_serialized_contents", None)


@pytest.fixture(scope="module")
def browser(serialized_db_contents) -> Iterator[Browser]:
    """One Chromium per test module, stopped when the module ends.

    While Playwright's sync API runs, Django's per-context ``connections`` hand the tests a connection
    object of their own; stopping it after each module gives the rest of the suite its own back.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _e2e_settings(settings, live_server):
    """The live server speaks plain HTTP, so its cookies cannot be Secure-only in these tests.

    Users' passwords are hashed with a fast hasher: the journeys create many users, and only one types a password.
    """
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


#: Data migrations whose rows the tests rely on: (module, loader, a model that is empty once they are flushed away).
_SEEDING_MIGRATIONS = [
    ("portal.migrations.0002_core_parties", "create_core_parties", ("portal", "Party")),
    ("gateway.migrations.0003_load_catalogues", "load", ("gateway", "ServiceReferenceVariant")),
]


@pytest.fixture(autouse=True)
def seeded_rows(transactional_db, serialized_db_contents) -> None:
    """Keep the rows the data migrations seed (DCC and CSP parties, SRV/alert catalogues, allow-lists).

    The live-server tests are transactional and each ends with a flush; the suite restores the seeded
    rows by serialized rollback. That snapshot hangs on the connection object that created the test
    database, and under Playwright the tests get another one: give it the snapshot, so the flush after
    this test leaves the next test to reload it (and skips re-creating content types it would clash
    with), and reload here whatever an earlier flush left missing.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if serialized_db_contents is not None and not hasattr(connection, "_test_serialized_contents"):
        connection._test_serialized_contents = serialized_db_contents
    for module, loader, (app_label, model_name) in _SEEDING_MIGRATIONS:
        if not django_apps.get_model(app_label, model_name).objects.exists():
            getattr(importlib.import_module(module), loader)(django_apps, None)


@dataclass
class PageProblems:
    """What a page reported to the console that it must not: CSP violations and uncaught errors."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        def on_console(message) -> None:
            text = message.text
            if "Content Security Policy" in text or "Content-Security-Policy" in text:
                self.csp.append(f"{page.url}: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))


def _session_cookie(user, base_url: str) -> dict:
    client = Client()
    client.force_login(user)
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
            "url": base_url}


@pytest.fixture
def open_as(browser, live_server) -> Iterator[Callable[..., Page]]:
    """``open_as(user, path)``: a page signed in as ``user`` in its own browser context, at ``path``."""
    contexts: list[BrowserContext] = []
    problems = PageProblems()

    def _open(user, path: str = "/", *, viewport: dict | None = None) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=viewport or VIEWPORT, accept_downloads=True)
        contexts.append(context)
        if user is not None:
            context.add_cookies([_session_cookie(user, live_server.url)])
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems.watch(page)
        page.goto(path)
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not problems.csp, "The Content-Security-Policy blocked something:\n" + "\n".join(problems.csp)
    assert not problems.errors, "JavaScript errors:\n" + "\n".join(problems.errors)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG of what the user sees now under ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def axe_violations(browser, live_server) -> Iterator[Callable[..., list[dict]]]:
    """``axe_violations(user, path)``: axe-core's serious and critical violations on a page, as the user sees it.

    The axe script is injected into contexts that bypass the CSP (the portal's own pages are checked
    against the CSP by ``open_as``); one context per user is reused across pages. Moderate and minor
    findings are printed, not failed.
    """
    contexts: dict[object, BrowserContext] = {}

    def _page_for(user, viewport: dict) -> Page:
        key = (getattr(user, "pk", None), viewport["width"], viewport["height"])
        if key not in contexts:
            context = browser.new_context(base_url=live_server.url, viewport=viewport, bypass_csp=True)
            if user is not None:
                context.add_cookies([_session_cookie(user, live_server.url)])
            context.new_page()
            contexts[key] = context
        return contexts[key].pages[0]

    def _run(user, path: str, *, viewport: dict | None = None, status: int = 200) -> list[dict]:
        viewport = viewport or VIEWPORT
        page = _page_for(user, viewport)
        response = page.goto(path)
        assert response is not None and response.status == status, f"{path} answered {response and response.status}"
        page.add_script_tag(path=str(AXE_SCRIPT))
        results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        violations = [
            {"page": f"{path} at {viewport['width']}x{viewport['height']}", "rule": v["id"], "impact": v["impact"],
             "help": v["help"],
             "targets": [", ".join(map(str, node["target"])) for node in v["nodes"]][:5]}
            for v in results["violations"]
        ]
        for violation in violations:
            if violation["impact"] not in BLOCKING_IMPACTS:
                print(f"axe ({violation['impact']}) {path}: {violation['rule']} {violation['targets']}")
        return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]

    yield _run
    for context in contexts.values():
        context.close()


from tests.gateway.duis_client import (  # noqa: E402,F401 (fixtures: the real DUIS client, the test identities)
    boxed_tool,
    demo_identities,
    duis_identities,
    duis_sender,
    identity_registrar,
)
