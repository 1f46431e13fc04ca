"""People and role groups: Django's own admin pages, with what each role may do explained."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from postmortems.admin.common import names
from postmortems.roles import AUTHORS, FACILITATORS, READERS

ROLE_HELP = {
    READERS: "Read published, unrestricted post-mortems; search; follow reading lists.",
    AUTHORS: "All a Reader may; start post-mortems, edit the ones they author, submit them for review.",
    FACILITATORS: (
        "All an Author may, on every post-mortem; review, publish and send back; see restricted ones; "
        "use this desk (with Staff status ticked)."
    ),
}
ROLES_IN_ONE_LINE = (
    "The role groups: Readers read published write-ups; Authors also write and edit their own; "
    "Facilitators also review, publish, send back and see restricted ones, and — with Staff status — "
    "use this desk. Give each person one role group."
)



admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class HindsightUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "roles", "is_staff", "is_active"]
    list_filter = ["groups", "is_staff", "is_superuser", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Role groups")
    def roles(self, obj):
        return names(g.name for g in obj.groups.all())

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "groups" in form.base_fields:
            form.base_fields["groups"].help_text = ROLES_IN_ONE_LINE
        if "is_staff" in form.base_fields:
            form.base_fields["is_staff"].help_text = (
                "Facilitators need this to enter the facilitator's desk. For Readers and Authors it grants nothing: "
                "the desk is for facilitators only."
            )
        return form


@admin.register(Group)
class HindsightGroupAdmin(GroupAdmin):
    list_display = ["name", "what_the_role_may_do", "member_count"]
    readonly_fields = ["what_the_role_may_do"]
    fields = ["name", "what_the_role_may_do", "permissions"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("user", distinct=True))

    @admin.display(description="What the role may do")
    def what_the_role_may_do(self, obj):
        return ROLE_HELP.get(obj.name, "Not one of Hindsight's role groups: its permissions are all it grants.")

    @admin.display(description="Members", ordering="n_members")
    def member_count(self, obj):
        url = reverse("admin:auth_user_changelist") + f"?groups__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_members)
