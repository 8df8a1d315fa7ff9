"""What every measurement needs: the options, the database, the running server, and the actors
(a DCC service-desk user and the largest supplier's user, each with a real API token)."""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import requests
from django.test import Client
from django.urls import Resolver404, resolve

from benchmarks.database import BenchDatabase
from benchmarks.server import GunicornServer


@dataclass
class Actor:
    """A portal user of ``party_code``: the clear key of an API token issued to it (for the API) and the
    cookie of a logged-in browser session (for the pages)."""

    party_id: int
    party_code: str
    user_id: int
    token: str
    session_key: str

    def session(self) -> requests.Session:
        from django.conf import settings

        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.token}"
        session.cookies.set(settings.SESSION_COOKIE_NAME, self.session_key)
        return session

    def test_client(self) -> Client:
        """An in-process client with the same credentials (for counting queries with ``CaptureQueriesContext``)."""
        from django.conf import settings

        client = Client(HTTP_AUTHORIZATION=f"Token {self.token}")
        client.cookies[settings.SESSION_COOKIE_NAME] = self.session_key
        return client


@dataclass
class BenchContext:
    options: argparse.Namespace
    database: BenchDatabase
    workdir: Path
    server: GunicornServer | None = None
    dcc: Actor | None = None
    supplier: Actor | None = None
    notes: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        assert self.server is not None, "the server is not running"
        return self.server.base_url + path


def route_exists(path: str) -> bool:
    """True when ``path`` resolves to a view (the feature has landed)."""
    try:
        resolve(path.split("?", 1)[0])
    except Resolver404:
        return False
    return True
