"""SEC parties, their users, API tokens and the outbox for everything sent outside."""
from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from portal.choices import NETWORK_OPERATOR_ROLES, SUPPLIER_ROLES, JobStatus, OutboxKind, OutboxStatus, PartyRole

DCC_PARTY_CODE = "DCC"


class Party(models.Model):
    """A SEC party (supplier, network operator, other user, agent), the DCC service desk or a CSP."""

    code = models.CharField("party code", max_length=16, unique=True)
    name = models.CharField(max_length=120)
    roles = ArrayField(
        models.CharField(max_length=3, choices=PartyRole.choices), default=list,
        help_text="DUIS user role codes (IS, ES, GS, ED, GT, OU, RSA), or DCC / CSP.",
    )
    csp_region = models.CharField(
        "CSP region", max_length=16, blank=True,
        help_text="For a CSP party: the region (North, Central, South) whose hubs it runs.",
    )
    operational_email = models.EmailField(blank=True, help_text="Where incident notifications go.")
    escalation_email = models.EmailField(blank=True, help_text="Where SLA breaches are escalated.")
    notification_endpoint = models.URLField(
        blank=True, help_text="For a CSP: HTTP endpoint that receives restriction notifications.",
    )

    class Meta:
        verbose_name = "party"
        verbose_name_plural = "parties"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_dcc(self) -> bool:
        return PartyRole.DCC in self.roles

    @property
    def is_csp(self) -> bool:
        return PartyRole.CSP in self.roles

    @property
    def is_supplier(self) -> bool:
        return any(role in SUPPLIER_ROLES for role in self.roles)

    @property
    def is_network_operator(self) -> bool:
        return any(role in NETWORK_OPERATOR_ROLES for role in self.roles)

    @property
    def role_label(self) -> str:
        return ", ".join(PartyRole(role).label for role in self.roles)


class User(AbstractUser):
    """A person (or system account) acting for one party."""

    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="users", null=True, blank=True,
        help_text="Every portal user acts for one party; only Django superusers may have none.",
    )

    class Meta:
        verbose_name = "user"


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A per-user API key. Only its SHA-256 hash is stored; the key is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters of the key, to tell tokens apart.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, *, user, name: str = "") -> tuple[ApiToken, str]:
        """Create a token and return it with its clear key (the only time the key exists)."""
        key = secrets.token_hex(20)
        token = cls.objects.create(user=user, name=name, key_hash=_hash_token(key), prefix=key[:8])
        return token, key

    @classmethod
    def find_active(cls, key: str) -> ApiToken | None:
        return cls.objects.active().select_related("user__party").filter(key_hash=_hash_token(key)).first()


class OutboxMessage(models.Model):
    """A message to the outside world, written in the business transaction that caused it.

    Celery delivers it (``portal.tasks.outbox_deliver_task``); a beat sweeper re-queues rows left
    pending, so nothing is lost if Redis, the worker, SMTP or a CSP endpoint is down. Delivery
    locks the row and skips it once delivered, so a message is sent at most once per success.
    """

    kind = models.CharField(max_length=24, choices=OutboxKind.choices)
    recipient = models.CharField(max_length=500, help_text="Email address(es), comma-separated, or a URL.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="outbox_messages", null=True, blank=True,
        help_text="The party the message is for.",
    )
    status = models.CharField(max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(
        max_length=80, blank=True, help_text="What caused it, e.g. 'restriction:123' or 'incident:INC0000001'.",
    )

    class Meta:
        verbose_name = "outbox message"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="outbox_due_idx",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
            models.Index(fields=["source"], name="outbox_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"


class ProgressJob(models.Model):
    """Long work a worker advances in committed chunks, with the progress its page polls.

    Concrete jobs (bulk uploads, extracts, report rebuilds) add what they carry and their counts; the one
    runner in ``portal.jobs`` moves them through ``JobStatus`` (``checked`` only for a bulk upload that
    waits for its confirmation).
    """

    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        """100 only once the job is done: the last chunk may be processed before the job's final step."""
        if self.status == JobStatus.DONE:
            return 100
        return 0 if not self.total_rows else min(99, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @classmethod
    def record_failure(cls, job_id: int, error: BaseException) -> None:
        """Mark the job failed with the error's type and message (for the page and the service desk)."""
        cls.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished_at=timezone.now(),
        )


from portal.audit_chain import AuditChainLink  # noqa: E402,F401  (registers the model with the portal app)


class CaughtEmail(models.Model):
    """An email the demo's mail catcher received (``make demo`` only; see ``portal.demo_mailbox``).

    The demo runs no real mail relay: the launcher starts a local SMTP server that stores every message
    here, so the outbox's emails are delivered and the DCC can read them on the demo mailbox page.
    """

    received_at = models.DateTimeField(default=timezone.now)
    mail_from = models.CharField("envelope sender", max_length=320, blank=True)
    recipients = models.TextField("envelope recipients", blank=True, help_text="Comma-separated.")
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True, help_text="The plain-text part.")
    raw = models.TextField("message as received", blank=True)
    outbox_id = models.PositiveBigIntegerField(
        "outbox message", null=True, blank=True, help_text="From the X-Outbox-Id header the portal sets.",
    )

    class Meta:
        verbose_name = "caught email (demo)"
        verbose_name_plural = "caught emails (demo)"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.subject or '(no subject)'} to {self.recipients}"


class CaughtNotification(models.Model):
    """A CSP notification the demo's CSP endpoint received (``make demo`` only; see ``portal.demo_mailbox``).

    In the demo each CSP's ``notification_endpoint`` points at a local HTTP server that acknowledges
    and stores every notification, so the CSP's users can see what "their" endpoint was sent.
    """

    received_at = models.DateTimeField(default=timezone.now)
    # CASCADE: a demo artefact, of no use once its party is gone.
    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="caught_notifications", null=True, blank=True,
        help_text="The CSP whose endpoint (by its URL path) received it.",
    )
    path = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    outbox_id = models.PositiveBigIntegerField("outbox message", null=True, blank=True)

    class Meta:
        verbose_name = "caught CSP notification (demo)"
        verbose_name_plural = "caught CSP notifications (demo)"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.idempotency_key or 'notification'} for {self.party_id or 'unknown CSP'}"
