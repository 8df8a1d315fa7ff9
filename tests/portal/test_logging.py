"""Expected refusals are quiet: a 403 page is one log line, not a traceback; a real error keeps its traceback."""
from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal.log_filters import ExpectedRefusalsWithoutTraceback


@pytest.mark.django_db
def test_a_403_page_is_logged_in_one_line_without_a_traceback(client, make_user, supplier, caplog):
    client.force_login(make_user(supplier))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("outbox-list")).status_code == 403
    records = [record for record in caplog.records if record.name == "django.request"]
    assert [record.getMessage() for record in records] == [f"Forbidden (Permission denied): {reverse('outbox-list')}"]
    assert records[0].exc_info is None and records[0].status_code == 403
    assert "Traceback" not in caplog.text and "PermissionDenied" not in caplog.text


def test_other_exceptions_keep_their_traceback():
    def record_for(error: Exception) -> logging.LogRecord:
        try:
            raise error
        except Exception as caught:
            return logging.getLogger("django.request").makeRecord(
                "django.request", logging.ERROR, __file__, 1, "Internal Server Error: /x", (),
                (type(caught), caught, caught.__traceback__))

    refusal, failure = record_for(PermissionDenied("no")), record_for(RuntimeError("bug"))
    quiet = ExpectedRefusalsWithoutTraceback()
    assert quiet.filter(refusal) and refusal.exc_info is None
    assert quiet.filter(failure) and failure.exc_info[0] is RuntimeError
