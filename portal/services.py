"""Writes for the portal app: API tokens and the outbox."""
from __future__ import annotations

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from portal.choices import OutboxKind, OutboxStatus
from portal.jobs import task_enqueue_on_commit
from portal.models import ApiToken, OutboxMessage, Party, User

logger = logging.getLogger(__name__)

#: Retry delays grow 30 s, 60 s, 120 s ... and stop growing at one hour: never given up.
OUTBOX_FIRST_RETRY_SECONDS = 30
OUTBOX_MAX_RETRY_SECONDS = 3600
CSP_HTTP_TIMEOUT_SECONDS = 10


#: The worker's task that delivers one outbox message (``portal.tasks.outbox_deliver_task``).
OUTBOX_DELIVER_TASK = "portal.tasks.outbox_deliver_task"


class OutboxDeliveryError(Exception):
    """The recipient did not acknowledge the message."""


def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Issue a new API token for ``user``; returns the token row and the clear key (shown once)."""
    return ApiToken.issue(user=user, name=name)


def api_token_revoke(*, token: ApiToken, actor: User) -> None:
    if token.user_id != actor.pk and not actor.is_superuser:
        from portal.errors import PermissionDenied

        raise PermissionDenied("You can only revoke your own API tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    from portal.authentication import api_token_cache_forget

    api_token_cache_forget(token.pk)


def outbox_enqueue(
    *,
    kind: OutboxKind,
    recipient: str,
    subject: str = "",
    body: str = "",
    payload: dict | None = None,
    party: Party | None = None,
    source: str = "",
) -> OutboxMessage:
    """Write a message to the outbox in the caller's transaction; deliver it after commit.

    If the broker is unreachable at commit time the row stays pending and the sweeper sends it.
    """
    message = OutboxMessage.objects.create(
        kind=kind, recipient=recipient, subject=subject, body=body, payload=payload or {},
        party=party, source=source,
    )
    task_enqueue_on_commit(OUTBOX_DELIVER_TASK, message.pk, label=f"outbox message {message.pk}")
    return message


def outbox_deliver_message(*, message_id: int) -> bool:
    """Deliver one outbox message if it is due and not yet delivered. Returns True if delivered.

    The row is locked (``SKIP LOCKED``) for the send, so two workers never send the same message
    at once, and a delivered message is never sent again.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id).exclude(status=OutboxStatus.DELIVERED).first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            _send(message)
        except Exception as error:  # any failure: record it and back off
            delay = min(OUTBOX_FIRST_RETRY_SECONDS * 2 ** (message.attempts - 1), OUTBOX_MAX_RETRY_SECONDS)
            message.status = OutboxStatus.FAILED
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
            logger.warning("Outbox message %s failed (attempt %s): %s", message.pk, message.attempts, error)
            return False
        message.status = OutboxStatus.DELIVERED
        message.delivered_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["status", "attempts", "delivered_at", "last_error"])
        return True


def _send(message: OutboxMessage) -> None:
    if message.kind == OutboxKind.EMAIL:
        email = EmailMessage(
            subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address.strip() for address in message.recipient.split(",") if address.strip()],
            headers={"Message-ID": f"<outbox-{message.pk}@ssi-portal>", "X-Outbox-Id": str(message.pk)},
        )
        email.send(fail_silently=False)
    elif message.kind == OutboxKind.CSP_NOTIFICATION:
        response = requests.post(
            message.recipient, json=message.payload, timeout=CSP_HTTP_TIMEOUT_SECONDS,
            headers={"Idempotency-Key": f"outbox-{message.pk}"},
        )
        if not 200 <= response.status_code < 300:
            raise OutboxDeliveryError(f"CSP endpoint answered HTTP {response.status_code}")
    else:
        raise OutboxDeliveryError(f"Unknown outbox kind {message.kind!r}")


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Messages waiting for a (re)try whose time has come."""
    return list(
        OutboxMessage.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED], next_attempt_at__lte=timezone.now(),
        ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
