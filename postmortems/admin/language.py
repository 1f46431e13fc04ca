"""The language coach's rules (with a "try it" box), and what it found and what authors kept (read-only)."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import escape
from django.utils.safestring import mark_safe

from postmortems.admin.common import ReadOnlyAdmin, person
from postmortems.coach.checks import rule_matches
from postmortems.coach.patterns import pattern_error
from postmortems.kinds import TEXT_KINDS
from postmortems.models import FindingDismissal, LanguageFinding, LanguageRule

APPLIES_TO = list(TEXT_KINDS.items())


class LanguageRuleForm(forms.ModelForm):
    section_kinds = forms.MultipleChoiceField(
        choices=APPLIES_TO,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Applies to",
        help_text="The kinds of text the rule checks. None ticked means every kind.",
    )

    class Meta:
        model = LanguageRule
        fields = ["slug", "category", "pattern", "is_regex", "message", "suggestion", "section_kinds", "enabled"]
        help_texts = {
            "slug": "A short, stable name for the rule, e.g. “should-have”. Dismissals refer to it.",
            "category": "The kind of language the rule is about.",
            "enabled": "Disabled rules are kept but not checked.",
        }
        widgets = {
            "pattern": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField hs-mono"}),
            "message": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
            "suggestion": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pattern"):
            error = pattern_error(cleaned["pattern"], bool(cleaned.get("is_regex")))
            if error:
                self.add_error("pattern", error)
        return cleaned


@admin.register(LanguageRule)
class LanguageRuleAdmin(admin.ModelAdmin):
    form = LanguageRuleForm
    change_form_template = "admin/postmortems/languagerule/change_form.html"
    list_display = ["slug", "category", "pattern", "is_regex", "applies_to", "enabled"]
    list_filter = ["enabled", "category", "is_regex"]
    search_fields = ["slug", "pattern", "message", "suggestion"]
    actions = ["enable", "disable"]
    fields = ["slug", "category", "pattern", "is_regex", "message", "suggestion", "section_kinds", "enabled"]

    @admin.display(description="Applies to")
    def applies_to(self, obj):
        return ", ".join(obj.section_kinds) if obj.section_kinds else "everything"

    @admin.action(description="Enable")
    def enable(self, request, queryset):
        n = queryset.update(enabled=True)
        self.message_user(request, f"{n} rule(s) enabled.", messages.SUCCESS)

    @admin.action(description="Disable")
    def disable(self, request, queryset):
        n = queryset.update(enabled=False)
        self.message_user(request, f"{n} rule(s) disabled.", messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        sample = request.GET.get("try", "")
        rule = self.get_object(request, object_id)
        if rule is not None and sample:
            try:
                spans = rule_matches(rule, sample)
            except ValueError as exc:
                extra_context["try_error"] = str(exc)
            else:
                extra_context["try_spans"] = [(s, e, sample[s:e]) for s, e in spans]
                extra_context["try_html"] = highlight(sample, spans)
        extra_context["try_text"] = sample
        return super().change_view(request, object_id, form_url, extra_context)



@admin.register(LanguageFinding)
class LanguageFindingAdmin(ReadOnlyAdmin):
    list_display = ["text", "rule_slug", "category", "postmortem", "location", "created_at"]
    list_filter = ["category"]
    list_select_related = ["postmortem"]
    search_fields = ["text", "rule_slug", "postmortem__title"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FindingDismissal)
class FindingDismissalAdmin(ReadOnlyAdmin):
    list_display = ["text", "rule_slug", "postmortem", "reason", "dismissed_by", "created_at"]
    list_select_related = ["postmortem", "user"]
    search_fields = ["text", "rule_slug", "reason", "postmortem__title"]

    @admin.display(description="By", ordering="user__username")
    def dismissed_by(self, obj):
        return person(obj.user) if obj.user else "—"




def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """Return `text` as HTML with each span wrapped in <mark> (overlapping spans merged)."""
    parts, cursor = [], 0
    for start, end in sorted(spans):
        start = max(start, cursor)
        if end <= start:
            continue
        parts.append(escape(text[cursor:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    parts.append(escape(text[cursor:]))
    return mark_safe("".join(parts))
