"""What every page of the facilitator's desk shares, for both apps' admins (knowledge's imports it too).

Help texts on forms, the bounded date drill-down, counts for the lists (as subqueries, so a list
costs the same number of queries whatever its length) and the intermediate page that actions
needing a word from the facilitator (a comment, a reason, a target) show before they act.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import DataError, models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone

from postmortems.admin.widgets import AutocompleteSelectMultiple, SafeAutocompleteMixin  # noqa: F401 (shared)
from postmortems.models import incident_time_bounds


class BoundedDateHierarchy:
    """A date drill-down (`date_hierarchy`) over 1970 to a year ahead, the span incident times may have.

    Django lists the drill-down's years, months and days by converting dates to the reader's time
    zone in the database, and computes the end of the year a link asks for: a date stored out of
    range (year 1, year 9999, from before incident times were checked or a raw SQL edit) or a link
    to such a year overflows there. The drill-down leaves such rows out (they stay in the list, see
    postmortems.templatetags.hindsight_admin), and a link to a year outside the span is answered
    with a message instead of an error, like a hand-written filter that converts such a date (SQLite
    reports the overflow as a DataError).
    """

    change_list_template = "admin/hindsight/change_list.html"

    def get_changelist(self, request, **kwargs):
        return CalendarSafeChangeList

    def changelist_view(self, request, extra_context=None):
        first, last = (timezone.localtime(bound).year for bound in incident_time_bounds())
        field = self.date_hierarchy
        asked = request.GET.getlist(f"{field}__year")
        if field and asked and not all(_year_within(year, first, last) for year in asked):
            self.message_user(request, f"The dates go from {first} to {last}: choose a year from those.",
                              messages.WARNING)
            params = request.GET.copy()
            for part in ("year", "month", "day"):
                params.pop(f"{field}__{part}", None)
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}" if params else request.path)
        return super().changelist_view(request, extra_context)

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except DataError as error:
            self.message_user(request, "That filter could not be applied: a date stored out of range cannot be "
                              "converted to your time zone.", messages.WARNING)
            raise IncorrectLookupParameters(error) from error


def _year_within(text: str, first: int, last: int) -> bool:
    try:
        return first <= int(text) <= last
    except ValueError:
        return False


def names(objects) -> str:
    return ", ".join(str(o) for o in objects) or "—"


def person(user) -> str:
    return user.get_full_name() or user.username



class CalendarSafeChangeList(ChangeList):
    """Django's change list, answering a date drill-down outside the calendar (year 99999, the last month
    of 9999) as any other bad filter, instead of with the OverflowError or ValueError it raises."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error



class HelpTexts:
    """Give a ModelAdmin's or inline's form the help text a facilitator needs (without a migration)."""

    help_texts: dict[str, str] = {}
    text_rows: dict[str, int] = {}
    labels = {"postmortem": "Post-mortem"}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def _form_kwargs(self, kwargs):
        kwargs.setdefault("help_texts", self.help_texts)
        kwargs.setdefault("labels", self.labels)
        css = "hs-cell-text" if isinstance(self, admin.TabularInline) else "vLargeTextField"
        widgets = {name: forms.Textarea(attrs={"rows": rows, "class": css}) for name, rows in self.text_rows.items()}
        kwargs.setdefault("widgets", widgets)
        return kwargs

    def get_form(self, request, obj=None, **kwargs):
        return super().get_form(request, obj, **self._form_kwargs(kwargs))

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, **self._form_kwargs(kwargs))



class ReadOnlyAdmin(admin.ModelAdmin):
    """A list of what Hindsight recorded: nothing added or changed here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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


# --- Intermediate pages for actions that need a word from the facilitator -------------------

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
