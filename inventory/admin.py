"""Django admin for the SMI. Restricted and the audit trails are read-only here: MP169 changes
go through the restriction service (which writes the audit row), and audit rows are append-only."""
from django.contrib import admin

from inventory.models import CPLChange, CPLEntry, Device, RestrictionChange, SupplierChange


@admin.register(CPLEntry)
class CPLEntryAdmin(admin.ModelAdmin):
    list_display = ["manufacturer", "model", "hardware_version", "firmware_version", "smets_version", "device_type",
                    "status"]
    list_filter = ["device_type", "smets_version", "status"]
    search_fields = ["manufacturer", "model"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["device_id", "device_type", "status", "smets_version", "csp_region", "responsible_supplier",
                    "restricted"]
    list_filter = ["device_type", "status", "smets_version", "csp_region", "restricted"]
    list_select_related = ["responsible_supplier"]
    search_fields = ["=device_id", "=mpxn", "=uprn"]  # exact: indexed, no scan of the inventory
    raw_id_fields = ["cpl_entry", "hub", "responsible_supplier", "prenotifying_supplier", "network_operator"]
    readonly_fields = ["restricted", "restricted_since", "created_at", "updated_at"]
    show_full_result_count = False


class AppendOnlyAdmin(admin.ModelAdmin):
    """Audit rows can be read, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RestrictionChange)
class RestrictionChangeAdmin(AppendOnlyAdmin):
    list_display = ["device", "at", "party", "actor", "old_value", "new_value", "channel"]
    list_filter = ["channel", "new_value"]
    list_select_related = ["device", "party", "actor"]
    show_full_result_count = False


@admin.register(SupplierChange)
class SupplierChangeAdmin(AppendOnlyAdmin):
    list_display = ["device", "at", "old_supplier", "new_supplier", "party"]
    list_select_related = ["device", "old_supplier", "new_supplier", "party"]
    show_full_result_count = False


@admin.register(CPLChange)
class CPLChangeAdmin(AppendOnlyAdmin):
    list_display = ["cpl_entry", "at", "action", "old_status", "new_status", "party"]
    list_select_related = ["cpl_entry", "party"]
