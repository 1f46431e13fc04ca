"""Templates: the sections a new post-mortem starts with."""

from django.contrib import admin, messages
from django.db.models import Count

from postmortems import services
from postmortems.admin.common import HelpTexts, names
from postmortems.models import Template, TemplateSection


class TemplateSectionInline(HelpTexts, admin.TabularInline):
    model = TemplateSection
    extra = 0
    ordering = ["position", "id"]
    fields = ["position", "heading", "kind", "required", "guidance"]
    help_texts = {
        "heading": "The section's title.",
        "kind": "What the section is for; the coach scopes its rules by it.",
    }
    text_rows = {"guidance": 3}


@admin.register(Template)
class TemplateAdmin(HelpTexts, admin.ModelAdmin):
    list_display = ["name", "description", "section_count", "is_active", "position"]
    list_editable = ["is_active", "position"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TemplateSectionInline]
    actions = ["duplicate"]
    fieldsets = [
        (
            None,
            {
                "fields": ["name", "slug", "description", ("is_active", "position")],
                "description": "Post-mortems keep their own copy of the sections they started with: editing a "
                "template changes only the post-mortems started after the edit.",
            },
        )
    ]

    help_texts = {"slug": "Used in addresses; letters, numbers and hyphens."}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_sections=Count("sections"))

    @admin.display(description="Sections", ordering="n_sections")
    def section_count(self, obj):
        return obj.n_sections

    @admin.action(description="Duplicate template")
    def duplicate(self, request, queryset):
        copies = [services.template_duplicate(template=t) for t in queryset.prefetch_related(None)]
        self.message_user(
            request,
            f"Created {names(c.name for c in copies)} (inactive until you make them active).",
            messages.SUCCESS,
        )


