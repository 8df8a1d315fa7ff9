from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from portal.models import ApiToken, OutboxMessage, Party, User


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
