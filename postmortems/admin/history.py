"""The history of each post-mortem, as the services recorded it (read-only)."""

from django.contrib import admin

from postmortems.admin.common import BoundedDateHierarchy, ReadOnlyAdmin
from postmortems.models import Revision


@admin.register(Revision)
class RevisionAdmin(BoundedDateHierarchy, ReadOnlyAdmin):
    list_display = ["postmortem", "version", "action", "editor", "created_at", "comment"]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["postmortem", "user"]
    search_fields = ["postmortem__title", "action", "comment"]
    date_hierarchy = "created_at"
    exclude = ["snapshot"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="By", ordering="user__username")
    def editor(self, obj):
        return obj.editor_name


