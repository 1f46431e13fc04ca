"""Personal API tokens: facilitators see every token and revoke any (tokens are created on /profile/ only)."""

from django.contrib import admin, messages

from postmortems import services
from postmortems.models import ApiToken
from postmortems.roles import is_facilitator


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # the secret is shown once to its owner: tokens are created on the profile page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead, so the record of the token stays

    def has_module_permission(self, request):
        return is_facilitator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_facilitator(request.user)

    @admin.action(description="Revoke the selected tokens", permissions=["view"])
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            services.api_token_revoke(token=token, user=request.user)
        messages.success(request, f"Revoked {len(tokens)} token(s).")
