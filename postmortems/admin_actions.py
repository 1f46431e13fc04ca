"""Pieces of the facilitator's desk that are not ModelAdmin declarations.

Counts for the lists (as subqueries, so a list costs the same number of queries whatever its
length), the intermediate pages that admin actions show before they act, template duplication,
and the highlighting behind the language rules' "try it" box (the matching is the coach's).
"""

from django import forms
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from postmortems.models import (
    ActionItem,
    FindingDismissal,
    LanguageFinding,
    Template,
    TemplateSection,
)


def count_of(queryset, *, outer_field: str = "postmortem") -> Coalesce:
    """Return an expression counting `queryset`'s rows whose `outer_field` is the outer row (0 when none)."""
    counted = (
        queryset.filter(**{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def open_action_items_count() -> Coalesce:
    return count_of(ActionItem.objects.still_open())


def open_findings_count() -> Coalesce:
    """Count the coach's findings on each post-mortem that no author has dismissed."""
    dismissed = FindingDismissal.objects.filter(
        postmortem_id=OuterRef("postmortem_id"),
        rule_slug=OuterRef("rule_slug"),
        location=OuterRef("location"),
        text=OuterRef("text"),
    )
    return count_of(LanguageFinding.objects.filter(~Exists(dismissed)))


# --- Intermediate pages for actions that need a word from the facilitator -------------------

class SendBackForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text="What needs another look. The authors see this comment in the post-mortem's history.",
    )

    def clean_comment(self):
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError("Say what needs another look, so the authors know what to change.")
        return comment


class WontDoForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Why these action items will not be done. Kept on each item and shown to readers.",
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why these will not be done.")
        return reason


class AddToReadingListForm(forms.Form):
    reading_list = forms.ModelChoiceField(
        queryset=None, help_text="The selected post-mortems are added at the end of this list."
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Why these write-ups are on the list; what to look for. Shown with each item.",
    )

    def __init__(self, *args, **kwargs):
        from knowledge.models import ReadingList

        super().__init__(*args, **kwargs)
        self.fields["reading_list"].queryset = ReadingList.objects.all()


def action_form_page(
    modeladmin, request, queryset, *, form, action: str, title: str, intro: str, submit_label: str
) -> TemplateResponse:
    """Render the page that asks for what an action needs (a comment, a reason, a target) first.

    The page posts back to the changelist with the same action and selection, plus `apply`.
    """
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "intro": intro,
        "submit_label": submit_label,
        "form": form,
        "objects": list(queryset),
        "action": action,
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": opts,
        "app_label": opts.app_label,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/hindsight/action_form.html", context)


def action_form(form_class, request, **kwargs):
    """Return `form_class` bound when the intermediate page was submitted, unbound on first show."""
    if "apply" in request.POST:
        return form_class(request.POST, **kwargs)
    return form_class(**kwargs)


# --- Templates --------------------------------------------------------------------------------

def _free(model, field: str, base: str) -> str:
    value, n = base, 2
    while model.objects.filter(**{field: value}).exists():
        value = f"{base} {n}" if field == "name" else f"{base}-{n}"
        n += 1
    return value


@transaction.atomic
def template_duplicate(*, template: Template) -> Template:
    """Return an inactive copy of `template` with copies of its sections, under a free name and slug."""
    name = _free(Template, "name", f"{template.name} (copy)")
    copy = Template.objects.create(
        name=name,
        slug=_free(Template, "slug", slugify(name)[:100] or "template"),
        description=template.description,
        is_active=False,
        position=template.position,
    )
    TemplateSection.objects.bulk_create(
        TemplateSection(
            template=copy,
            position=s.position,
            heading=s.heading,
            guidance=s.guidance,
            kind=s.kind,
            required=s.required,
        )
        for s in template.sections.all()
    )
    return copy


# --- Language rules ---------------------------------------------------------------------------

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
