"""The insights page's filters (period, team, tag, severity) and the drill-down's facets."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from knowledge.insights import periods, queries
from knowledge.insights.periods import Scope
from knowledge.insights.queries import Facets
from postmortems.models import FactorCategory, LanguageRule, Severity, Status, Team

MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")
EARLIEST = date(1970, 1, 1)


# --- Filters ----------------------------------------------------------------------------------


class InsightsFilterForm(forms.Form):
    """The page's filters; every value is a query parameter, so a view can be bookmarked and shared."""

    period = forms.ChoiceField(choices=list(periods.PERIODS.items()))
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), to_field_name="slug", required=False, empty_label="All teams"
    )
    tag = forms.CharField(
        required=False, max_length=100,
        widget=forms.TextInput(attrs={"list": "insights-tags", "placeholder": "All tags", "autocomplete": "off"}),
    )
    severity = forms.ChoiceField(choices=[("", "All severities"), *Severity.choices], required=False)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.user = user
        self.fields["from"] = forms.DateField(
            label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
        self.order_fields(["period", "from", "to", "team", "tag", "severity"])

    def clean_tag(self):
        value = self.cleaned_data["tag"].strip()
        if not value:
            return None
        tag = queries.visible_tags(self.user).filter(Q(slug=value) | Q(name__iexact=value)).first()
        if tag is None:
            raise forms.ValidationError("No post-mortem you may see carries this tag.")
        return tag

    def tag_options(self) -> SafeString:
        """The tags to suggest in the tag box: those of post-mortems the user may see."""
        options = queries.visible_tags(self.user).values_list("slug", "name")
        return format_html_join("", '<option value="{}">{}</option>', options)

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if "period" not in data:
            return data
        if data["period"] == "custom" and not (start or end):
            self.add_error("from", "Give a start date, an end date or both for a custom period.")
        today = timezone.localdate()
        if start and start < EARLIEST:
            self.add_error("from", f"Choose a start date from {EARLIEST:%-d %B %Y} on.")
        elif start and start > today:
            self.add_error("from", "Choose a start date no later than today: nothing has happened after it yet.")
        if end and end < EARLIEST:
            self.add_error("to", f"Choose an end date from {EARLIEST:%-d %B %Y} on.")
        elif start and end and start > end:
            self.add_error("to", "The end date comes before the start date.")
        return data

    def scope(self, *, tz, today) -> Scope:
        data = self.cleaned_data
        start, end = periods.period_bounds(data["period"], today=today, start=data.get("from"), end=data.get("to"))
        return Scope(
            user=self.user, tz=tz, today=today, start=start, end=end,
            team=data.get("team"), tag=data.get("tag"), severity=data.get("severity") or "",
        )

    def params(self) -> dict:
        """The filters as query parameters, for links that keep them."""
        data = self.cleaned_data
        params = {"period": data["period"]}
        if data["period"] == "custom":
            params |= {k: data[k].isoformat() for k in ("from", "to") if data.get(k)}
        if data.get("team"):
            params["team"] = data["team"].slug
        if data.get("tag"):
            params["tag"] = data["tag"].slug
        if data.get("severity"):
            params["severity"] = data["severity"]
        return params


class FacetForm(forms.Form):
    """What one figure counts (the drill-down's extra parameters)."""

    month = forms.RegexField(regex=MONTH_RE, required=False, error_messages={"invalid": "Use a month as YYYY-MM."})
    status = forms.ChoiceField(choices=[("", ""), *Status.choices], required=False)
    category = forms.ModelChoiceField(queryset=FactorCategory.objects.all(), to_field_name="slug", required=False)
    measure = forms.ChoiceField(choices=[("", ""), *queries.MEASURE_LABELS.items()], required=False)
    action = forms.ChoiceField(choices=[("", ""), *queries.ACTION_FACETS.items()], required=False)
    finding = forms.ChoiceField(choices=[("", ""), ("any", "any"), *LanguageRule.Category.choices], required=False)
    noteam = forms.BooleanField(required=False)

    def clean_month(self):
        value = self.cleaned_data["month"]
        if not value:
            return None
        year, month = (int(x) for x in MONTH_RE.match(value).groups())
        if not 1 <= month <= 12:
            raise forms.ValidationError("Use a month as YYYY-MM.")
        last = periods.first_of_month(timezone.localdate())
        if not (EARLIEST.year, EARLIEST.month) <= (year, month) <= (last.year, last.month):
            raise forms.ValidationError(
                f"Choose a month from {EARLIEST:%B %Y} to {last:%B %Y}: the figures cover no other."
            )
        return date(year, month, 1)

    def facets(self) -> Facets:
        d = self.cleaned_data
        return Facets(
            month=d["month"], status=d["status"], category=d["category"], measure=d["measure"],
            action=d["action"], finding=d["finding"], no_team=d["noteam"],
        )


def bound_filters(request) -> InsightsFilterForm:
    data = request.GET.copy()
    if not data.get("period"):
        data["period"] = "custom" if (data.get("from") or data.get("to")) else periods.DEFAULT_PERIOD
    return InsightsFilterForm(data, user=request.user)


def scope_for(request, form) -> Scope:
    tz = timezone.get_current_timezone()
    return form.scope(tz=tz, today=timezone.localdate())
