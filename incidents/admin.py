"""Admin: read-only views of incidents and their history. Install-code ciphertext is never shown."""
from django.contrib import admin

from incidents.models import Incident, IncidentEvent, IncidentNote


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IncidentNoteInline(admin.TabularInline):
    model = IncidentNote
    fields = ["created_at", "party", "author", "body", "has_install_code"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(boolean=True, description="install code supplied")
    def has_install_code(self, note: IncidentNote) -> bool:
        return note.has_install_code

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "type", "state", "device", "raised_by", "assigned_party", "due_by", "breached"]
    list_filter = ["state", "type", "breached"]
    search_fields = ["reference", "device__device_id"]
    list_select_related = ["device", "raised_by", "assigned_party"]
    show_full_result_count = False
    inlines = [IncidentNoteInline]


@admin.register(IncidentEvent)
class IncidentEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "incident", "kind", "actor", "party", "detail"]
    list_filter = ["kind"]
    list_select_related = ["incident", "actor", "party"]
    show_full_result_count = False
