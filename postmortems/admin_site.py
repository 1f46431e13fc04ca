"""The facilitator's desk: Django's admin site, open to facilitators only.

Installed in settings as `postmortems.admin_site.HindsightAdminConfig` in place of
`django.contrib.admin`, so `admin.site` everywhere is a `HindsightAdminSite`.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

from postmortems.roles import is_facilitator


class HindsightAdminSite(AdminSite):
    site_header = "Hindsight — facilitator's desk"
    site_title = "Hindsight admin"
    index_title = "Reviews, publishing, templates and tags"
    index_template = "admin/hindsight_index.html"
    enable_nav_sidebar = False  # lists need the width; the desk's front page lists everything

    def has_permission(self, request):
        """Let in active staff who hold the facilitator role; Authors and Readers never, staff or not."""
        user = request.user
        return user.is_active and user.is_staff and is_facilitator(user)

    def index(self, request, extra_context=None):
        from postmortems.models import Amendment, AmendmentStatus, PostMortem, Status

        waiting = PostMortem.objects.awaiting_review()
        since = [
            PostMortem.objects.filter(status=Status.IN_REVIEW).order_by("status_changed_at")
            .values_list("status_changed_at", flat=True).first(),
            Amendment.objects.filter(status=AmendmentStatus.IN_REVIEW).order_by("submitted_at")
            .values_list("submitted_at", flat=True).first(),
        ]
        context = {
            "review_waiting": waiting.count(),
            "review_oldest": min((moment for moment in since if moment), default=None),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)


class HindsightAdminConfig(AdminConfig):
    default_site = "postmortems.admin_site.HindsightAdminSite"
