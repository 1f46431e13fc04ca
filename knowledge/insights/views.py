"""The insights page, its CSV downloads and the list of post-mortems behind each figure."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge.insights import queries
from knowledge.insights.forms import FacetForm, bound_filters, scope_for
from knowledge.insights.report import InsightsReport

PAGE_SIZE = 50


# --- Views ------------------------------------------------------------------------------------


@require_GET
def insights_page(request):
    form = bound_filters(request)
    ctx = {"form": form, "charts": [], "facts": []}
    if form.is_valid():
        report = InsightsReport(scope_for(request, form), form.params())
        ctx |= {"report": report, "charts": report.all_charts(), "facts": report.facts(),
                "query": urlencode(form.params())}
    return render(request, "knowledge/insights/page.html", ctx, status=200 if form.is_valid() else 400)


@require_GET
def insights_csv(request, slug):
    if slug not in InsightsReport.SLUGS:
        raise Http404("No such chart.")
    form = bound_filters(request)
    if not form.is_valid():
        return HttpResponseBadRequest("Invalid filters: " + form.errors.as_text(), content_type="text/plain")
    chart = InsightsReport(scope_for(request, form), form.params()).chart(slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hindsight-{slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(chart.csv_columns)
    for row in chart.rows + ([chart.total] if chart.total else []):
        writer.writerow([_csv_safe(cell.value) for cell in row])
    return response


def _csv_safe(value):
    """Keep spreadsheet programs from reading user-written text as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


@require_GET
def insights_postmortems(request):
    form, facet_form = bound_filters(request), FacetForm(request.GET)
    valid = form.is_valid() and facet_form.is_valid()
    ctx = {"form": form, "facet_form": facet_form}
    if valid:
        scope, facets = scope_for(request, form), facet_form.facets()
        qs = queries.postmortems_behind(scope, facets).with_list_data().order_by("-started_at", "-created_at", "-pk")
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        ctx |= {
            "page": page, "description": queries.describe_facets(scope, facets),
            "query": query.urlencode(), "back": urlencode(form.params()),
        }
    return render(request, "knowledge/insights/postmortems.html", ctx, status=200 if valid else 400)
