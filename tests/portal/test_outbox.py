"""The outbox delivers email and CSP messages through a real Celery worker, retrying failures."""
import pytest
from django.db import transaction

from portal.choices import OutboxKind, OutboxStatus
from portal.models import OutboxMessage
from portal.services import outbox_deliver_message, outbox_enqueue
from portal.tasks import outbox_sweep_task
from tests.services import wait_for


def test_enqueue_writes_a_pending_row_in_the_callers_transaction(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = outbox_enqueue(kind=OutboxKind.EMAIL, recipient="ops@example.com", subject="s", body="b")
    assert message.status == OutboxStatus.PENDING
    assert len(callbacks) == 1  # delivery is queued only after commit


def test_rolled_back_business_transaction_leaves_no_message(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(kind=OutboxKind.EMAIL, recipient="ops@example.com", subject="s", body="b")
        raise RuntimeError("business rule failed")
    assert not OutboxMessage.objects.exists()


def test_delivered_message_is_never_sent_twice(db, mailoutbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = OutboxMessage.objects.create(kind=OutboxKind.EMAIL, recipient="ops@example.com", subject="s")
    assert outbox_deliver_message(message_id=message.pk) is True
    assert outbox_deliver_message(message_id=message.pk) is False
    assert len(mailoutbox) == 1


def test_failed_csp_delivery_backs_off_and_is_retried(db, csp_endpoint):
    csp_endpoint.status = 503
    message = OutboxMessage.objects.create(
        kind=OutboxKind.CSP_NOTIFICATION, recipient=csp_endpoint.url, payload={"device_id": "X"},
    )
    assert outbox_deliver_message(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and message.attempts == 1
    assert "503" in message.last_error and message.next_attempt_at > message.created_at
    csp_endpoint.status = 200
    assert outbox_deliver_message(message_id=message.pk) is True
    assert csp_endpoint.received == [{"device_id": "X"}]
    assert csp_endpoint.idempotency_keys == [f"outbox-{message.pk}"]


@pytest.mark.integration
def test_real_worker_delivers_email_to_smtp_and_sweeper_recovers_lost_tasks(smtp_sink, celery_worker_process):
    with transaction.atomic():
        first = outbox_enqueue(kind=OutboxKind.EMAIL, recipient="ops@example.com", subject="Hello", body="Body 1")
    wait_for(lambda: len(smtp_sink.messages) == 1, message="email via worker")
    assert smtp_sink.messages[0]["Subject"] == "Hello"
    # The worker commits the row as delivered just after the SMTP server accepted the message.
    wait_for(lambda: OutboxMessage.objects.get(pk=first.pk).status == OutboxStatus.DELIVERED, message="row delivered")

    # A row whose task was lost (e.g. Redis was down at commit) is picked up by the sweeper.
    lost = OutboxMessage.objects.create(kind=OutboxKind.EMAIL, recipient="ops@example.com", subject="Lost")
    assert outbox_sweep_task() == 1
    wait_for(lambda: len(smtp_sink.messages) == 2, message="swept email")
    wait_for(lambda: OutboxMessage.objects.get(pk=lost.pk).status == OutboxStatus.DELIVERED, message="row delivered")
    assert [m["Subject"] for m in smtp_sink.messages] == ["Hello", "Lost"]
