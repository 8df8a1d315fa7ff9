"""R121-4 end to end: a real Celery worker delivers the assignment email through a real SMTP server."""
from __future__ import annotations

import pytest

from incidents.services import incident_add_note, incident_raise_install_code_request
from tests.factories import PartyFactory
from tests.incidents.conftest import INSTALL_CODE
from tests.services import wait_for


@pytest.fixture
def service_desk(transactional_db):
    """The DCC party is seeded by a migration; a flush by an earlier transactional test may have removed it."""
    return PartyFactory(code="DCC", name="DCC Service Desk", roles=["DCC"])


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_assignee_email_arrives_through_the_worker_without_the_install_code(
        smtp_sink, celery_worker_process, service_desk, device, gaining_user, installer_user, installer, settings):
    incident, _ = incident_raise_install_code_request(device_id=device.device_id, actor=gaining_user)
    wait_for(lambda: len(smtp_sink.messages) == 1, message="assignment email via the worker")
    message = smtp_sink.messages[0]
    assert message["To"] == installer.operational_email
    assert incident.reference in message["Subject"] and device.device_id in message["Subject"]
    assert f"{settings.PORTAL_BASE_URL}/incidents/{incident.reference}/" in smtp_sink.bodies()[0]

    incident_add_note(incident=incident, actor=installer_user, body="Attached", install_code=INSTALL_CODE)
    wait_for(lambda: len(smtp_sink.messages) == 2, message="creator notification via the worker")
    assert gaining_user.email in smtp_sink.messages[1]["To"]
    for text in [*smtp_sink.bodies(), *(m["Subject"] for m in smtp_sink.messages)]:
        assert INSTALL_CODE not in text
