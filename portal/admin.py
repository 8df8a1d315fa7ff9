from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from portal.models import ApiToken, CaughtEmail, CaughtNotification, OutboxMessage, Party, User


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "roles", "csp_region"]
    search_fields = ["code", "name"]


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "party", "email", "is_active"]
    fieldsets = (*UserAdmin.fieldsets, ("Party", {"fields": ("party",)}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix", "user", "created_at", "last_used_at"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "recipient", "status", "attempts", "created_at", "delivered_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]


@admin.register(CaughtEmail)
class CaughtEmailAdmin(admin.ModelAdmin):
    """The demo mail catcher's emails (``make demo`` only), for the demo's ``admin``."""

    list_display = ["id", "received_at", "recipients", "subject", "outbox_id"]
    search_fields = ["recipients", "subject"]
    readonly_fields = [f.name for f in CaughtEmail._meta.fields]


@admin.register(CaughtNotification)
class CaughtNotificationAdmin(admin.ModelAdmin):
    """What the demo CSP endpoint received (``make demo`` only)."""

    list_display = ["id", "received_at", "party", "idempotency_key", "outbox_id"]
    list_filter = ["party"]
    readonly_fields = [f.name for f in CaughtNotification._meta.fields]
