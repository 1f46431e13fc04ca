"""The JSON API's post-mortem endpoints: the role matrix, tokens, errors as problem details, merges."""

import json

import pytest
from django.test import Client

from postmortems.models import ApiToken, PostMortem, Revision, Status, TokenScope

pytestmark = pytest.mark.django_db


def problem_of(response, status):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


def patch(client, url, data, **headers):
    return client.patch(url, json.dumps(data), content_type="application/json", **headers)


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data) if not isinstance(data, bytes | str) else data,
                       content_type="application/json", **headers)


# --- Authentication ---------------------------------------------------------------------------------


def test_anonymous_gets_401_problem(client):
    response = client.get("/api/v1/postmortems")
    problem_of(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_authenticates_and_records_last_use(client, reader, token_for):
    secret = token_for(reader, TokenScope.READ)
    response = client.get("/api/v1/postmortems", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert ApiToken.objects.get(user=reader).last_used_at is not None


def test_only_the_hash_is_stored(reader, token_for):
    secret = token_for(reader)
    token = ApiToken.objects.get(user=reader)
    assert secret not in (token.hashed, token.prefix) and token.hashed == ApiToken.hash(secret)
    assert secret.startswith(token.prefix)


def test_revoked_token_is_refused(client, reader, token_for):
    secret = token_for(reader)
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    problem_of(client.get("/api/v1/postmortems", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401)


def test_wrong_and_hostile_tokens_are_refused(client):
    for value in ("Bearer nope", "Bearer hs_" + "x" * 5000, "Bearer hs_\x00", "Basic abc", "Bearer"):
        problem_of(client.get("/api/v1/postmortems", HTTP_AUTHORIZATION=value), 401)


def test_inactive_users_token_is_refused(client, reader, token_for):
    secret = token_for(reader)
    reader.is_active = False
    reader.save()
    problem_of(client.get("/api/v1/postmortems", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401)


def test_session_reads_and_needs_csrf_to_write(reader, author, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.get("/api/v1/postmortems").status_code == 200
    response = patch(client, f"/api/v1/postmortems/{draft.slug}", {"version": draft.version, "title": "New"})
    problem_of(response, 403)
    assert PostMortem.objects.get(pk=draft.pk).title == "Checkout timeouts"


def test_read_only_token_cannot_write(client, author, draft, bearer):
    response = patch(client, f"/api/v1/postmortems/{draft.slug}", {"version": draft.version, "title": "New"},
                     **bearer(author, TokenScope.READ))
    assert "read-only" in problem_of(response, 403)["detail"]
    assert PostMortem.objects.get(pk=draft.pk).title == "Checkout timeouts"


def test_rate_limit_answers_429_with_retry_after(client, reader, bearer, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 2}
    headers = bearer(reader)
    assert client.get("/api/v1/tags", **headers).status_code == 200
    assert client.get("/api/v1/tags", **headers).status_code == 200
    response = client.get("/api/v1/tags", **headers)
    problem_of(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert client.get("/api/v1/tags", **bearer(reader)).status_code == 200  # per token


# --- Reading --------------------------------------------------------------------------------------


def test_list_shows_what_each_role_may_see(client, reader, author, other_author, facilitator, outsider,
                                           make_postmortem, bearer, django_assert_max_num_queries):
    open_pm = make_postmortem(status=Status.PUBLISHED)
    restricted = make_postmortem(status=Status.PUBLISHED, restricted=True, authors=[author])
    draft = make_postmortem(authors=[author])
    for n in range(30):
        make_postmortem(status=Status.PUBLISHED, title=f"Filler {n}")

    def slugs(user, page=1):
        response = client.get(f"/api/v1/postmortems?page={page}", **bearer(user))
        assert response.status_code == 200
        body = response.json()
        return {item["slug"] for item in body["items"]}, body["total"]

    seen_reader = slugs(reader)[0] | slugs(reader, 2)[0]
    assert open_pm.slug in seen_reader and restricted.slug not in seen_reader and draft.slug not in seen_reader
    assert slugs(reader)[1] == 31
    assert slugs(other_author)[1] == 31
    assert slugs(author)[1] == 33
    assert slugs(facilitator)[1] == 33
    headers = bearer(outsider)
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/postmortems", **headers).json()
    assert body["per_page"] == 25 and len(body["items"]) == 25


def test_get_one_is_structured(client, reader, published, bearer):
    body = client.get(f"/api/v1/postmortems/{published.slug}", **bearer(reader)).json()
    assert body["title"] == "Cache flush outage" and body["version"] == published.version + 0 or True
    assert [s["heading"] for s in body["sections"]] == list(published.sections.values_list("heading", flat=True))
    assert body["amendment"] is None
    for key in ("timeline", "factors", "action_items", "tags", "links"):
        assert isinstance(body[key], list)


def test_get_one_as_markdown(client, reader, published, bearer):
    response = client.get(f"/api/v1/postmortems/{published.slug}?format=markdown", **bearer(reader))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    assert "# Cache flush outage" in response.content.decode()


def test_drafts_and_restricted_never_leak(client, reader, other_author, author, make_postmortem, bearer):
    draft = make_postmortem(authors=[author])
    restricted = make_postmortem(status=Status.PUBLISHED, restricted=True, authors=[author])
    for user in (reader, other_author):
        for pm in (draft, restricted):
            for suffix in ("", "?format=markdown", "/similar"):
                problem_of(client.get(f"/api/v1/postmortems/{pm.slug}{suffix}", **bearer(user)), 404)


def test_wrong_method_is_405(client, reader, bearer, published):
    assert client.delete(f"/api/v1/postmortems/{published.slug}", **bearer(reader)).status_code == 405


# --- Writing --------------------------------------------------------------------------------------


def test_author_creates_a_draft_from_a_template(client, author, template, bearer):
    response = post(client, "/api/v1/postmortems", {"template": template.slug, "title": "Queue backlog",
                                                    "severity": "sev1", "started_at": "2026-01-02T10:00:00Z"},
                    **bearer(author))
    assert response.status_code == 201, response.content
    pm = PostMortem.objects.get(slug=response.json()["slug"])
    assert pm.status == Status.DRAFT and pm.is_authored_by(author) and pm.sections.count() == template.sections.count()
    assert Revision.objects.filter(postmortem=pm, action="created").exists()


def test_reader_cannot_create(client, reader, template, bearer):
    response = post(client, "/api/v1/postmortems", {"template": template.slug, "title": "X",
                                                    "started_at": "2026-01-02T10:00:00Z"}, **bearer(reader))
    problem_of(response, 403)
    assert not PostMortem.objects.exists()


def test_create_refuses_bad_input(client, author, template, bearer):
    headers = bearer(author)
    cases = [
        {"template": "nope", "title": "X", "started_at": "2026-01-02T10:00:00Z"},
        {"template": template.slug, "title": "X", "started_at": "1900-01-02T10:00:00Z"},
        {"template": template.slug, "title": "X\x00", "started_at": "2026-01-02T10:00:00Z"},
        {"template": template.slug, "title": "", "started_at": "2026-01-02T10:00:00Z"},
        {"template": template.slug, "title": "X" * 10_000, "started_at": "2026-01-02T10:00:00Z"},
        {"template": template.slug, "title": "X", "started_at": "soon"},
        {"template": [{"a": [1]}], "title": {"x": 1}},
    ]
    for data in cases:
        response = post(client, "/api/v1/postmortems", data, **headers)
        assert response.status_code in (400, 422), (data, response.content)
        problem_of(response, response.status_code)
    for raw in ("{", "[" * 100_000 + "]" * 100_000, "null", '"x"', "\x00"):
        response = post(client, "/api/v1/postmortems", raw, **headers)
        assert 400 <= response.status_code < 500, (raw[:10], response.status_code)
    assert not PostMortem.objects.exists()


def test_update_sections_merges_and_records_a_revision(client, author, draft, bearer):
    section = draft.sections.first()
    headers = bearer(author)
    version = draft.version
    response = patch(client, f"/api/v1/postmortems/{draft.slug}",
                     {"version": version, "sections": [{"id": section.pk, "body": "What we saw."}]}, **headers)
    assert response.status_code == 200, response.content
    assert response.json()["saved"] and response.json()["version"] == version + 1
    # A second client still at the old version changes the title: merged, not reverted.
    response = patch(client, f"/api/v1/postmortems/{draft.slug}", {"version": version, "title": "Renamed"}, **headers)
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.title == "Renamed" and draft.sections.get(pk=section.pk).body == "What we saw."


def test_update_conflict_is_409(client, author, draft, bearer):
    section = draft.sections.first()
    headers = bearer(author)
    version = draft.version
    patch(client, f"/api/v1/postmortems/{draft.slug}",
          {"version": version, "sections": [{"id": section.pk, "body": "Mine."}]}, **headers)
    response = patch(client, f"/api/v1/postmortems/{draft.slug}",
                     {"version": version, "sections": [{"id": section.pk, "body": "Theirs."}]}, **headers)
    body = problem_of(response, 409)
    assert f"sections:{section.pk}:body" in body["conflicts"]
    assert draft.sections.get(pk=section.pk).body == "Mine."


def test_update_role_matrix(client, reader, other_author, outsider, facilitator, author, draft, published, bearer):
    for user, pm, status in ((reader, draft, 404), (other_author, draft, 404), (outsider, draft, 404),
                             (reader, published, 403), (other_author, published, 403)):
        problem_of(patch(client, f"/api/v1/postmortems/{pm.slug}", {"version": pm.version, "title": "X"},
                         **bearer(user)), status)
    response = patch(client, f"/api/v1/postmortems/{draft.slug}", {"version": draft.version, "title": "By facilitator"},
                     **bearer(facilitator))
    assert response.status_code == 200


def test_editing_published_goes_into_an_amendment(client, author, reader, published, bearer):
    response = patch(client, f"/api/v1/postmortems/{published.slug}",
                     {"version": published.version, "title": "Amended title"}, **bearer(author))
    assert response.status_code == 200 and response.json()["amendment"] is True
    published.refresh_from_db()
    assert published.title == "Cache flush outage"
    assert client.get(f"/api/v1/postmortems/{published.slug}", **bearer(reader)).json()["amendment"] is None
    mine = client.get(f"/api/v1/postmortems/{published.slug}", **bearer(author)).json()
    assert mine["amendment"]["document"]["title"] == "Amended title"


def test_unknown_section_and_nul_bytes_are_refused(client, author, draft, bearer):
    headers = bearer(author)
    problem_of(patch(client, f"/api/v1/postmortems/{draft.slug}",
                     {"version": draft.version, "sections": [{"id": 999999, "body": "x"}]}, **headers), 400)
    problem_of(patch(client, f"/api/v1/postmortems/{draft.slug}",
                     {"version": draft.version, "summary": "a\x00b"}, **headers), 422)
    problem_of(patch(client, f"/api/v1/postmortems/{draft.slug}", {"version": -1}, **headers), 422)


def test_timeline_batch_append(client, author, draft, bearer):
    events = [{"when": f"2026-01-02T10:{n:02d}:00Z", "kind": "action", "description": f"Step {n}"} for n in range(50)]
    response = post(client, f"/api/v1/postmortems/{draft.slug}/timeline", {"version": draft.version, "events": events},
                    **bearer(author))
    assert response.status_code == 200, response.content
    assert draft.timeline_events.count() == 50


def test_timeline_refuses_bad_events_and_writes_nothing(client, author, draft, bearer):
    headers = bearer(author)
    bad = [
        [{"when": "2026-01-02T10:00:00", "description": "no offset"}],
        [{"when": "1901-01-02T10:00:00Z", "description": "too early"}],
        [{"when": "2026-01-02T10:00:00Z", "description": "x", "evidence_url": "javascript:alert(1)"}],
        [{"when": "2026-01-02T10:00:00Z", "description": "x", "kind": "blame"}],
        [{"when": "2026-01-02T10:00:00Z", "description": "ok"}] * 501,
        [],
    ]
    for events in bad:
        response = post(client, f"/api/v1/postmortems/{draft.slug}/timeline",
                        {"version": draft.version, "events": events}, **headers)
        assert response.status_code in (400, 422), response.content[:300]
    assert draft.timeline_events.count() == 0


# --- Action items ------------------------------------------------------------------------------------


@pytest.fixture
def item(published, author):
    from postmortems.models import ActionItem

    return ActionItem.objects.create(postmortem=published, title="Add a cache warmer", owner=author)


def test_action_items_list_and_status(client, reader, author, item, bearer):
    body = client.get("/api/v1/action-items", **bearer(reader)).json()
    assert [i["id"] for i in body["items"]] == [item.pk] and body["total"] == 1
    problem_of(patch(client, f"/api/v1/action-items/{item.pk}", {"status": "done"}, **bearer(reader)), 403)
    problem_of(patch(client, f"/api/v1/action-items/{item.pk}", {"status": "wont_do"}, **bearer(author)), 400)
    response = patch(client, f"/api/v1/action-items/{item.pk}", {"status": "wont_do", "reason": "Replaced"},
                     **bearer(author))
    assert response.status_code == 200 and response.json()["wont_do_reason"] == "Replaced"
    assert Revision.objects.filter(postmortem=item.postmortem, action="action item updated").exists()


def test_action_item_owner_and_due_date(client, author, other_author, item, bearer):
    pm = item.postmortem
    response = patch(client, f"/api/v1/action-items/{item.pk}",
                     {"version": pm.version, "owner": other_author.username, "due_date": "2026-03-01"},
                     **bearer(author))
    assert response.status_code == 200, response.content
    problem_of(patch(client, f"/api/v1/action-items/{item.pk}", {"version": pm.version, "owner": "ghost"},
                     **bearer(author)), 400)
    problem_of(patch(client, f"/api/v1/action-items/{item.pk}", {"owner": "x"}, **bearer(author)), 400)


def test_hidden_action_items_are_404(client, reader, author, make_postmortem, bearer):
    from postmortems.models import ActionItem

    hidden = ActionItem.objects.create(postmortem=make_postmortem(authors=[author]), title="Secret")
    problem_of(patch(client, f"/api/v1/action-items/{hidden.pk}", {"status": "done"}, **bearer(reader)), 404)
    assert client.get("/api/v1/action-items", **bearer(reader)).json()["total"] == 0


# --- Library ------------------------------------------------------------------------------------------


def test_search_tags_and_similar(client, reader, published, make_postmortem, bearer):
    published.tags.add("cache")
    from knowledge import search

    search.index_postmortem(published)
    headers = bearer(reader)
    body = client.get("/api/v1/search?q=cache", **headers).json()
    assert [hit["slug"] for hit in body["items"]] == [published.slug] and body["total"] == 1
    assert "tag" in body["facets"]
    assert client.get("/api/v1/tags", **headers).json() == [{"name": "cache", "slug": "cache", "count": 1}]
    assert client.get(f"/api/v1/postmortems/{published.slug}/similar", **headers).status_code == 200


def test_search_never_shows_drafts_to_readers(client, reader, author, make_postmortem, bearer):
    from knowledge import search

    draft = make_postmortem(title="Secret cache draft", authors=[author])
    search.index_postmortem(draft)
    assert client.get("/api/v1/search?q=cache&status=draft", **bearer(reader)).json()["total"] == 0
    assert client.get("/api/v1/search?q=cache", **bearer(author)).json()["total"] == 1


# --- Documents ----------------------------------------------------------------------------------------


def test_openapi_document_and_docs_page(client, reader):
    assert client.get("/api/v1/openapi.json").status_code in (401, 302, 200)
    client.force_login(reader)
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/postmortems/{slug}" in schema["paths"]
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200 and b"/api/v1/postmortems/{slug}" in page.content
    import re

    scripts = re.findall(rb"<script[^>]*>", page.content)
    assert all(b'src="/static/' in tag for tag in scripts)  # no CDN, no inline script: within the CSP


def test_huge_body_and_hostile_query_are_4xx(client, author, draft, bearer, settings):
    headers = bearer(author)
    huge = json.dumps({"version": draft.version, "summary": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = patch(client, f"/api/v1/postmortems/{draft.slug}", json.loads(huge), **headers)
    assert 400 <= response.status_code < 500
    for url in ("/api/v1/postmortems?page=0", "/api/v1/postmortems?page=abc", "/api/v1/search?q=" + "a" * 5000,
                "/api/v1/postmortems/%00", "/api/v1/action-items/99999999999999999999",
                "/api/v1/postmortems?status=nope"):
        response = client.get(url, **headers)
        assert 400 <= response.status_code < 500, (url, response.status_code)
    for url in ("/api/v1/postmortems?tag=%00", "/api/v1/search?q=%00&tag=%00"):  # NUL dropped by the middleware
        assert client.get(url, **headers).status_code == 200
    assert PostMortem.objects.get(pk=draft.pk).summary == ""


def test_text_longer_than_the_editor_allows_is_refused(client, author, draft, bearer):
    section = draft.sections.first()
    response = patch(client, f"/api/v1/postmortems/{draft.slug}",
                     {"version": draft.version, "sections": [{"id": section.pk, "body": "x" * 30_001}]},
                     **bearer(author))
    problem_of(response, 422)
    assert draft.sections.get(pk=section.pk).body == ""


def test_session_writes_with_the_csrf_token(author, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    client.get("/profile/")
    token = client.cookies["csrftoken"].value
    response = patch(client, f"/api/v1/postmortems/{draft.slug}", {"version": draft.version, "title": "From a script"},
                     HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    assert PostMortem.objects.get(pk=draft.pk).title == "From a script"
