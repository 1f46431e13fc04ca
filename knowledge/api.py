"""The library's part of the JSON API (search, tags, similar incidents), added to postmortems.api's API.

Here rather than in postmortems/api.py since the library depends on post-mortems, not the other way
round. Search calls the search page's own service, so filters, facets and ranking are the same.
Also the API's docs page: Hindsight's own HTML rendering of the OpenAPI document, with no script,
so it stays within the Content-Security-Policy (ninja's Swagger page loads scripts from a CDN).
"""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import QueryDict
from django.shortcuts import render
from django.utils.html import strip_tags
from django.views.decorators.http import require_GET
from ninja import Field, Query, Router, Schema

from knowledge import services
from knowledge.similar import similar_incidents
from postmortems.access import get_postmortem_for
from postmortems.api import PROBLEMS, PostMortemSummary, Slug, Text, api, summary_of

router = Router(tags=["library"])


class SearchHit(PostMortemSummary):
    snippet: str


class FacetValue(Schema):
    value: str
    label: str
    count: int


class SearchPage(Schema):
    q: str
    page: int
    num_pages: int
    total: int
    corrected: str = Field(description="The query actually searched when a word matched nothing (typos)")
    partial: bool = Field(description="No post-mortem matched every word: these match most of them")
    items: list[SearchHit]
    facets: dict[str, list[FacetValue]]


class TagOut(Schema):
    name: str
    slug: str
    count: int


class SimilarOut(PostMortemSummary):
    similarity: float


def _plain(html) -> str:
    return strip_tags(str(html or ""))


def _facets(facets) -> dict[str, list[dict]]:
    return {facet.name: [{"value": v.value, "label": v.label, "count": v.count} for v in facet.values]
            for facet in facets}


@router.get("/search", response={200: SearchPage, **PROBLEMS})
def search(request, q: Text = Query("", max_length=300), page: int = Query(1, ge=1, le=10_000),
           tag: list[Text] = Query([]), team: list[Text] = Query([]), severity: list[Text] = Query([]),
           year: list[Text] = Query([]), factor: list[Text] = Query([]), status: list[Text] = Query([]),
           sort: Text = Query("", max_length=20),
           exact: bool = Query(False, description="Search the words as typed, without typo correction")):
    """Search the post-mortems you may see, with the search page's filters, facets and ranking."""
    params = QueryDict(mutable=True)
    params.update({"q": q, "page": str(page), "sort": sort, "exact": "1" if exact else ""})
    for name, values in (("tag", tag), ("team", team), ("severity", severity), ("year", year),
                         ("factor", factor), ("status", status)):
        params.setlist(name, values)
    ctx = services.search_library(user=request.user, params=params)
    items = [{**summary_of(hit["pm"]), "snippet": _plain(hit["snippet"])} for hit in ctx["hits"]]
    return {"q": ctx["q"], "page": ctx["page_number"], "num_pages": ctx["num_pages"], "total": ctx["total"],
            "corrected": ctx["corrected"] or "", "partial": bool(ctx["partial"]), "items": items,
            "facets": _facets(ctx["facets"])}


@router.get("/tags", response={200: list[TagOut], **PROBLEMS})
def tags(request):
    """List the tags of the post-mortems you may see, with how many carry each."""
    return [{"name": t["tag__name"], "slug": t["tag__slug"], "count": t["count"]}
            for t in services.tags_with_counts(user=request.user)]


@router.get("/postmortems/{slug}/similar", response={200: list[SimilarOut], **PROBLEMS})
def similar(request, slug: Slug):
    """List up to five post-mortems you may see that resemble this one."""
    postmortem = get_postmortem_for(request, slug)
    return [{**summary_of(pm), "similarity": round(pm.similarity, 3)}
            for pm in similar_incidents(user=request.user, postmortem=postmortem)]


api.add_router("/", router)


@require_GET
def api_docs(request):
    """The API's reference, rendered from its OpenAPI document (no script, so no CSP exception)."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": op.get("parameters", []),
                "body": "requestBody" in op,
                "responses": sorted(str(code) for code in op.get("responses", {})),
            })
    return render(request, "knowledge/api_docs.html", {"schema": schema, "operations": operations})


def _own_authentication(view):
    """Let the API's views past the sign-in redirect: they authenticate each request themselves (token or
    session) and answer 401 problem details, never a redirect to the sign-in page."""

    @login_not_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return wrapped


def api_urls():
    """The API's URL patterns (namespace api_v1), each view answering for its own authentication."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _own_authentication(pattern.callback)
    return patterns, app_name, namespace
