"""Incoming incident webhooks: facilitators create them (secret, team, template, severity mapping)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from postmortems.models import IncidentLink, IncidentWebhook
from postmortems.roles import is_facilitator


class IncidentLinkInline(admin.TabularInline):
    model = IncidentLink
    extra = 0
    fields = ["external_id", "postmortem", "created_at", "updated_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return is_facilitator(request.user)


@admin.register(IncidentWebhook)
class IncidentWebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team", "template", "is_active", "address"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["team", "template"]
    fields = ["name", "kind", "key", "secret", "team", "template", "author", "severity_mapping", "is_active"]
    inlines = [IncidentLinkInline]

    # Facilitators (the role's permission), whether or not their group was given this model's permissions.
    def has_module_permission(self, request):
        return is_facilitator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_facilitator(request.user)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    @admin.display(description="Address")
    def address(self, obj):
        return format_html("<code>{}</code>", reverse("incident_webhook", args=[obj.key]))
