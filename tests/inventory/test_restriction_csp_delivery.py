"""R169-6: each restriction change reaches the region's CSP through the outbox - by a real Celery
worker over HTTP, retried after a failure - or by email when the CSP has no endpoint."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.choices import RestrictionChannel
from inventory.services.restriction import restriction_set
from portal.choices import OutboxKind, OutboxStatus
from portal.models import OutboxMessage, Party
from portal.services import outbox_deliver_message
from portal.tasks import outbox_sweep_task
from tests.factories import make_sms
from tests.services import wait_for

SET = {"restricted": True, "reason": "Consumer refused", "attested": True, "channel": RestrictionChannel.WEB}
CLEAR = {"restricted": False, "reason": "Change of tenancy", "attested": False, "channel": RestrictionChannel.WEB}


def csp_north(**fields) -> Party:
    """CSP North; re-created if an earlier transactional test flushed the migration's rows."""
    party, _ = Party.objects.get_or_create(
        code="CSPN", defaults={"name": "CSP North", "roles": ["CSP"], "csp_region": "North",
                               "operational_email": "cspn-ops@dcc.example"},
    )
    for name, value in fields.items():
        setattr(party, name, value)
    party.save()
    return party


@pytest.mark.integration
def test_real_worker_delivers_the_notification_to_the_csp_endpoint_and_retries_after_a_failure(
    csp_endpoint, celery_worker_process, supplier, make_user,
):
    csp = csp_north(notification_endpoint=csp_endpoint.url)
    sms = make_sms(supplier=supplier)
    actor = make_user(supplier)

    result = restriction_set(device=sms["GSME"], actor=actor, **SET)
    wait_for(lambda: len(csp_endpoint.received) == 1, message="CSP notification via the worker")
    (body,) = csp_endpoint.received
    assert body["device_ids"] == [sms["GSME"].device_id, sms["GPF"].device_id]
    assert body["restricted"] is True and body["supplier"] == supplier.code and body["csp_region"] == "North"
    assert body["change_ids"] == [change.pk for change in result.changes]
    message = result.notification
    assert csp_endpoint.idempotency_keys == [f"outbox-{message.pk}"]
    # The endpoint records the body before it answers, and the worker commits its outcome after the answer.
    wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status != OutboxStatus.PENDING,
             message="the worker's commit after the send")
    message.refresh_from_db()
    assert (message.status, message.party, message.attempts) == (OutboxStatus.DELIVERED, csp, 1)

    # The endpoint is down when the clear is sent: the message fails, stays in the outbox and is retried.
    csp_endpoint.status = 503
    cleared = restriction_set(device=sms["GSME"], actor=actor, **CLEAR).notification
    wait_for(lambda: OutboxMessage.objects.get(pk=cleared.pk).status == OutboxStatus.FAILED, message="failed delivery")
    cleared.refresh_from_db()
    assert cleared.attempts == 1 and "503" in cleared.last_error and len(csp_endpoint.received) == 1

    csp_endpoint.status = 200
    OutboxMessage.objects.filter(pk=cleared.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox_sweep_task() == 1
    wait_for(lambda: OutboxMessage.objects.get(pk=cleared.pk).status == OutboxStatus.DELIVERED, message="retry")
    assert csp_endpoint.received[1]["restricted"] is False
    assert csp_endpoint.idempotency_keys[1] == f"outbox-{cleared.pk}"
    assert OutboxMessage.objects.get(pk=cleared.pk).attempts == 2


def test_csp_without_endpoint_gets_the_notification_by_email(db, supplier, make_user, settings, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    csp_north(notification_endpoint="")
    sms = make_sms(supplier=supplier)
    message = restriction_set(device=sms["ESME"], actor=make_user(supplier), **SET).notification
    assert message.kind == OutboxKind.EMAIL
    assert outbox_deliver_message(message_id=message.pk) is True
    (email,) = mailoutbox
    assert email.to == ["cspn-ops@dcc.example"]
    assert sms["ESME"].device_id in email.subject and "set by supplier SUPA" in email.body
