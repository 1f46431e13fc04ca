"""The taxonomy writers choose from: contributing-factor categories and teams."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from postmortems.admin.common import HelpTexts, count_of
from postmortems.models import ContributingFactor, FactorCategory, PostMortem, Team


@admin.register(FactorCategory)
class FactorCategoryAdmin(HelpTexts, admin.ModelAdmin):
    list_display = ["name", "description", "factor_count", "position"]
    list_editable = ["position"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    help_texts = {
        "name": "The category as writers see it, e.g. “Change” or “Capacity”.",
        "slug": "Used in addresses and filters.",
    }

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_factors=count_of(ContributingFactor.objects,
                                                                         outer_field="category"))

    @admin.display(description="Factors", ordering="n_factors")
    def factor_count(self, obj):
        return obj.n_factors


@admin.register(Team)
class TeamAdmin(HelpTexts, admin.ModelAdmin):
    list_display = ["name", "slug", "postmortem_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    help_texts = {"name": "The team's name as people know it.", "slug": "Used in addresses and filters."}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_postmortems=count_of(PostMortem.teams.through.objects, outer_field="team")
        )

    @admin.display(description="Post-mortems", ordering="n_postmortems")
    def postmortem_count(self, obj):
        url = reverse("admin:postmortems_postmortem_changelist") + f"?teams__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_postmortems)


