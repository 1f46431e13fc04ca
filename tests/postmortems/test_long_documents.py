"""A long post-mortem (a pasted chat log's worth of timeline) saves and reopens, at a bounded query cost."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import services
from postmortems.models import FactorCategory, Template
from tests.postmortems.editor_support import add_rows, editor_form, form_data

pytestmark = pytest.mark.django_db

START = datetime(2024, 3, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def draft(author):
    return services.postmortem_create(
        user=author, template=Template.objects.get(slug="lightweight"), title="Chat log", severity="sev2",
        started_at=START,
    )


def long_form(data, author, *, events, factors, actions):
    category = FactorCategory.objects.get(slug="capacity").pk
    data = add_rows(data, "events", [
        {"occurred_at": (START + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M"), "kind": "observation",
         "description": f"Line {i} of the incident channel: queue depth {i * 3}."}
        for i in range(events)
    ])
    data = add_rows(data, "factors", [{"category": category, "description": f"Factor {i}."} for i in range(factors)])
    data = add_rows(data, "actions", [
        {"title": f"Follow-up {i}", "kind": "repair", "priority": "low", "owner": author.pk, "status": "open"}
        for i in range(actions)
    ])
    return data


def test_2000_events_200_factors_200_action_items_save_and_reopen(client, author, draft):
    client.force_login(author)
    data = long_form(editor_form(client, draft.slug), author, events=2000, factors=200, actions=200)
    assert sum(1 for _ in data) > 1000  # far beyond Django's default limit of 1,000 fields
    response = client.post(f"/postmortems/{draft.slug}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    assert draft.timeline_events.count() == 2000
    assert draft.factors.count() == 200 and draft.action_items.count() == 200

    reopened = client.get(f"/postmortems/{draft.slug}/edit/")
    assert reopened.status_code == 200
    shown = form_data(reopened.content.decode())
    assert shown["events-INITIAL_FORMS"] == "2000" and shown["actions-INITIAL_FORMS"] == "200"
    assert shown["events-1999-description"] == "Line 1999 of the incident channel: queue depth 5997."
    # Saving the reopened page unchanged changes nothing.
    before = draft.revisions.count()
    assert client.post(f"/postmortems/{draft.slug}/edit/", shown).status_code == 302
    assert draft.revisions.count() == before


def test_the_editor_costs_the_same_queries_for_many_rows(client, author, draft):
    client.force_login(author)
    small = long_form(editor_form(client, draft.slug), author, events=2, factors=2, actions=2)
    client.post(f"/postmortems/{draft.slug}/edit/", small)
    with CaptureQueriesContext(connection) as few_get:
        few_form = form_data(client.get(f"/postmortems/{draft.slug}/edit/").content.decode())
    few_form["title"] = "Chat log (1)"
    with CaptureQueriesContext(connection) as few_post:
        client.post(f"/postmortems/{draft.slug}/edit/", few_form)

    many = long_form(editor_form(client, draft.slug), author, events=300, factors=40, actions=40)
    client.post(f"/postmortems/{draft.slug}/edit/", many)
    with CaptureQueriesContext(connection) as many_get:
        many_form = form_data(client.get(f"/postmortems/{draft.slug}/edit/").content.decode())
    many_form["title"] = "Chat log (2)"
    with CaptureQueriesContext(connection) as many_post:
        client.post(f"/postmortems/{draft.slug}/edit/", many_form)
    assert len(many_get) == len(few_get)
    assert len(many_post) <= len(few_post) + 6  # bulk writes go in batches of 500 rows
