"""The writing room's pages: the permission matrix, bad input, workflow, history and lists."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from postmortems import services
from postmortems.models import (
    ActionItem,
    ActionStatus,
    FactorCategory,
    PostMortem,
    Revision,
    Section,
    Status,
    Template,
    TimelineEvent,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "reader", "author", "other_author", "facilitator"]


@pytest.fixture
def users(reader, author, other_author, facilitator, outsider):
    return {"reader": reader, "author": author, "other_author": other_author, "facilitator": facilitator,
            "outsider": outsider, "anonymous": None}


def client_for(client, users, role):
    if users[role] is not None:
        client.force_login(users[role])
    return client


@pytest.fixture
def draft(author):
    template = Template.objects.get(slug="standard")
    return services.postmortem_create(
        user=author, template=template, title="Checkout timeouts", severity="sev2",
        started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )


@pytest.fixture
def published(author, facilitator):
    template = Template.objects.get(slug="lightweight")
    pm = services.postmortem_create(
        user=author, template=template, title="Queue backlog", severity="sev3",
        started_at=datetime(2024, 2, 1, 9, 0, tzinfo=UTC),
    )
    pm.sections.update(body="Written.")
    services.postmortem_submit_for_review(postmortem=pm, user=author)
    services.postmortem_publish(postmortem=pm, user=facilitator)
    return pm


# ---- who may see what ------------------------------------------------------------------------

DETAIL_OF_DRAFT = {"anonymous": 302, "outsider": 404, "reader": 404, "author": 200, "other_author": 404,
                   "facilitator": 200}
DETAIL_OF_PUBLISHED = {"anonymous": 302, "outsider": 200, "reader": 200, "author": 200, "other_author": 200,
                       "facilitator": 200}
EDIT_OF_PUBLISHED = {"anonymous": 302, "outsider": 403, "reader": 403, "author": 200, "other_author": 403,
                     "facilitator": 200}


@pytest.mark.parametrize("role", ROLES)
def test_draft_detail_visibility(client, users, draft, role):
    response = client_for(client, users, role).get(f"/postmortems/{draft.slug}/")
    assert response.status_code == DETAIL_OF_DRAFT[role]


@pytest.mark.parametrize("role", ROLES)
def test_published_detail_visibility(client, users, published, role):
    response = client_for(client, users, role).get(f"/postmortems/{published.slug}/")
    assert response.status_code == DETAIL_OF_PUBLISHED[role]


@pytest.mark.parametrize("role", ROLES)
def test_published_edit_permissions(client, users, published, role):
    response = client_for(client, users, role).get(f"/postmortems/{published.slug}/edit/")
    assert response.status_code == EDIT_OF_PUBLISHED[role]


@pytest.mark.parametrize("role", ROLES)
def test_restricted_postmortem_only_for_authors_and_facilitators(client, users, published, role):
    services.postmortem_set_restricted(postmortem=published, user=users["facilitator"], restricted=True)
    expected = {**DETAIL_OF_DRAFT}
    assert client_for(client, users, role).get(f"/postmortems/{published.slug}/").status_code == expected[role]
    if role not in ("anonymous",):
        listing = client.get("/postmortems/").content.decode()
        assert ("Queue backlog" in listing) == (role in ("author", "facilitator"))


@pytest.mark.parametrize("role", ROLES)
def test_history_follows_visibility(client, users, draft, role):
    response = client_for(client, users, role).get(f"/postmortems/{draft.slug}/history/")
    assert response.status_code == DETAIL_OF_DRAFT[role]


def test_list_shows_only_visible(client, users, draft, published):
    client.force_login(users["reader"])
    content = client.get("/postmortems/").content.decode()
    assert "Queue backlog" in content and "Checkout timeouts" not in content
    client.force_login(users["author"])
    content = client.get("/postmortems/").content.decode()
    assert "Queue backlog" in content and "Checkout timeouts" in content


def test_list_filters(client, users, draft, published):
    client.force_login(users["facilitator"])
    assert "Checkout timeouts" not in client.get("/postmortems/?status=published").content.decode()
    assert "Checkout timeouts" in client.get("/postmortems/?severity=sev2").content.decode()
    assert "Queue backlog" not in client.get("/postmortems/?severity=sev2").content.decode()
    published.tags.add("kafka")
    content = client.get("/postmortems/?tag=kafka").content.decode()
    assert "Queue backlog" in content and "Checkout timeouts" not in content


def test_list_query_count_does_not_grow_with_rows(client, users, make_postmortem, django_assert_num_queries):
    client.force_login(users["reader"])

    def fill(n):
        for _ in range(n):
            pm = make_postmortem(status=Status.PUBLISHED)
            pm.tags.add("db", "cache")

    fill(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/postmortems/")
    fill(20)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/postmortems/")
    assert response.status_code == 200
    assert len(many) == len(few)


# ---- creating -------------------------------------------------------------------------------


@pytest.mark.parametrize("role,expected", [("anonymous", 302), ("outsider", 403), ("reader", 403),
                                           ("author", 200), ("facilitator", 200)])
def test_new_page_permissions(client, users, role, expected):
    assert client_for(client, users, role).get("/postmortems/new/").status_code == expected


def test_author_starts_from_a_template(client, author):
    client.force_login(author)
    template = Template.objects.get(slug="standard")
    response = client.post("/postmortems/new/", {
        "template": template.pk, "title": "Payment webhooks delayed", "severity": "sev1",
        "started_at": "2024-05-02T08:30",
    })
    pm = PostMortem.objects.get(title="Payment webhooks delayed")
    assert response.status_code == 302 and response["Location"] == f"/postmortems/{pm.slug}/edit/"
    assert pm.status == Status.DRAFT and list(pm.authors.all()) == [author]
    assert list(pm.sections.values_list("heading", flat=True)) == list(
        template.sections.values_list("heading", flat=True))
    assert pm.revisions.count() == 1


def test_new_with_bad_input_keeps_what_was_typed(client, author):
    client.force_login(author)
    response = client.post("/postmortems/new/", {"title": "Half-typed title", "severity": "sev9",
                                                 "started_at": "yesterday-ish"})
    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="Half-typed title"' in content
    assert "Select a valid choice" in content and "Enter a valid date/time" in content
    assert not PostMortem.objects.exists()


def test_template_change_never_rewrites_existing_postmortem(draft):
    template = Template.objects.get(slug="standard")
    template.sections.filter(heading="Impact").update(heading="Customer impact", guidance="new words")
    assert draft.sections.filter(heading="Impact").exists()
    assert not draft.sections.filter(heading="Customer impact").exists()


# ---- editing --------------------------------------------------------------------------------


def editor_data(pm, **overrides):
    """Return a POST body equal to what the editor shows for `pm`, with `overrides`."""
    data = {
        "version": pm.version, "title": pm.title, "summary": pm.summary, "severity": pm.severity,
        "started_at": pm.started_at.strftime("%Y-%m-%dT%H:%M") if pm.started_at else "",
        "detected_at": "", "mitigated_at": "", "resolved_at": "", "tags": "",
        "authors": [a.pk for a in pm.authors.all()],
        "sections-TOTAL_FORMS": pm.sections.count(), "sections-INITIAL_FORMS": pm.sections.count(),
        "sections-MIN_NUM_FORMS": 0, "sections-MAX_NUM_FORMS": 1000,
    }
    for i, s in enumerate(pm.sections.all()):
        data[f"sections-{i}-id"] = s.pk
        data[f"sections-{i}-body"] = s.body
    for prefix in ("events", "factors", "actions"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0,
                     f"{prefix}-MAX_NUM_FORMS": 1000})
    data.update(overrides)
    return data


def test_author_saves_everything_in_one_go(client, author, draft):
    client.force_login(author)
    change = FactorCategory.objects.get(slug="change")
    first = draft.sections.first()
    data = editor_data(draft, **{
        "summary": "Checkout requests timed out for 40 minutes.",
        "detected_at": "2024-03-01T14:05", "mitigated_at": "2024-03-01T14:30", "resolved_at": "2024-03-01T15:10",
        "tags": "checkout, Redis",
        "sections-0-body": "## Where\nThe **cache** emptied.",
        "events-TOTAL_FORMS": 1, "events-0-occurred_at": "2024-03-01T14:05", "events-0-kind": "detection",
        "events-0-description": "Latency alert paged the on-call engineer.",
        "factors-TOTAL_FORMS": 1, "factors-0-category": change.pk,
        "factors-0-description": "A config change halved the cache TTL.",
        "actions-TOTAL_FORMS": 1, "actions-0-title": "Alert on cache hit ratio below 80%",
        "actions-0-kind": "detect", "actions-0-priority": "high", "actions-0-owner": author.pk,
        "actions-0-due_date": "2024-04-01", "actions-0-status": "open",
    })
    response = client.post(f"/postmortems/{draft.slug}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.version == 2
    assert draft.time_to_detect == timedelta(minutes=5)
    assert draft.time_to_resolve == timedelta(minutes=70)
    assert sorted(t.name for t in draft.tags.all()) == ["Redis", "checkout"]
    first.refresh_from_db()
    assert "The **cache** emptied." in first.body
    assert draft.timeline_events.get().kind == "detection"
    assert draft.factors.get().category == change
    assert draft.action_items.get().owner == author
    revision = draft.revisions.first()
    assert revision.version == 2 and revision.user == author
    assert revision.snapshot["timeline"][0]["description"] == "Latency alert paged the on-call engineer."


def test_failed_save_shows_errors_and_keeps_everything(client, author, draft):
    client.force_login(author)
    data = editor_data(draft, **{
        "title": "",
        "sections-0-body": "A long paragraph the author must not lose.",
        "detected_at": "2024-03-01T13:00",
        "events-TOTAL_FORMS": 1, "events-0-occurred_at": "not a time", "events-0-kind": "action",
        "events-0-description": "Rolled back the deploy",
        "actions-TOTAL_FORMS": 1, "actions-0-title": "Retire the old cache", "actions-0-kind": "prevent",
        "actions-0-priority": "low", "actions-0-status": "wont_do", "actions-0-wont_do_reason": "",
    })
    response = client.post(f"/postmortems/{draft.slug}/edit/", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required" in content
    assert "cannot be detected before it started" in content
    assert "Enter a valid date/time" in content
    assert "Say why this will not be done" in content
    assert "A long paragraph the author must not lose." in content
    assert "Rolled back the deploy" in content and 'value="Retire the old cache"' in content
    draft.refresh_from_db()
    assert draft.version == 1 and draft.title == "Checkout timeouts"
    assert not TimelineEvent.objects.exists() and not ActionItem.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_edit_refuses_other_methods(client, author, draft, method):
    client.force_login(author)
    assert getattr(client, method)(f"/postmortems/{draft.slug}/submit/").status_code == 405


# ---- workflow -------------------------------------------------------------------------------


def test_submit_needs_required_sections(client, author, draft):
    client.force_login(author)
    response = client.post(f"/postmortems/{draft.slug}/submit/", follow=True)
    assert "Write the required sections before submitting" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_review_cycle(client, author, facilitator, reader, draft):
    draft.sections.filter(required=True).update(body="Written.")
    client.force_login(author)
    assert client.post(f"/postmortems/{draft.slug}/submit/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    client.force_login(reader)
    assert client.get(f"/postmortems/{draft.slug}/").status_code == 404
    client.force_login(author)
    assert client.post(f"/postmortems/{draft.slug}/publish/").status_code == 403
    client.force_login(facilitator)
    assert client.post(f"/postmortems/{draft.slug}/send-back/", {"comment": ""}).status_code == 200
    assert client.post(f"/postmortems/{draft.slug}/send-back/", {"comment": "Say more about detection."}
                       ).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    client.force_login(author)
    assert "Say more about detection." in client.get(f"/postmortems/{draft.slug}/").content.decode()
    client.post(f"/postmortems/{draft.slug}/submit/")
    client.force_login(facilitator)
    client.post(f"/postmortems/{draft.slug}/publish/")
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.published_at is not None
    client.force_login(reader)
    assert client.get(f"/postmortems/{draft.slug}/").status_code == 200
    actions = list(Revision.objects.filter(postmortem=draft).order_by("version").values_list("action", flat=True))
    assert actions == ["created", "submitted for review", "sent back", "submitted for review", "published"]


@pytest.mark.parametrize("path", ["submit", "publish"])
def test_workflow_posts_only(client, facilitator, draft, path):
    client.force_login(facilitator)
    assert client.get(f"/postmortems/{draft.slug}/{path}/").status_code == 405


@pytest.mark.parametrize("role,expected", [("reader", 404), ("other_author", 404), ("author", 403)])
def test_only_facilitators_publish(client, users, draft, role, expected):
    draft.status = Status.IN_REVIEW
    draft.save()
    assert client_for(client, users, role).post(f"/postmortems/{draft.slug}/publish/").status_code == expected


# ---- history --------------------------------------------------------------------------------


def test_history_shows_per_section_differences(client, author, draft):
    client.force_login(author)
    client.post(f"/postmortems/{draft.slug}/edit/", editor_data(draft, **{"sections-0-body": "First words."}))
    draft.refresh_from_db()
    client.post(f"/postmortems/{draft.slug}/edit/", editor_data(draft, **{"sections-0-body": "First better words."}))
    content = client.get(f"/postmortems/{draft.slug}/history/?version=3").content.decode()
    heading = draft.sections.first().heading
    assert f"<h3>{heading}</h3>" in content
    assert "First<ins> better</ins> words." in content


# ---- action items ---------------------------------------------------------------------------


@pytest.fixture
def item(published, author):
    return ActionItem.objects.create(postmortem=published, title="Add a queue depth alert", owner=author,
                                     due_date=datetime(2020, 1, 1).date())


def test_action_items_mine_by_default(client, author, reader, item):
    client.force_login(author)
    content = client.get("/action-items/").content.decode()
    assert "Add a queue depth alert" in content and "Overdue" in content
    client.force_login(reader)
    assert "Add a queue depth alert" not in client.get("/action-items/").content.decode()
    assert "Add a queue depth alert" in client.get("/action-items/?owner=all").content.decode()


def test_owner_changes_status_in_place(client, author, item):
    client.force_login(author)
    response = client.post(f"/action-items/{item.pk}/status/", {"status": "done"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE and item.completed_at is not None


def test_wont_do_needs_a_reason(client, author, item):
    client.force_login(author)
    response = client.post(f"/action-items/{item.pk}/status/", {"status": "wont_do", "reason": " "}, follow=True)
    assert "Say why this will not be done" in response.content.decode()
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    client.post(f"/action-items/{item.pk}/status/", {"status": "wont_do", "reason": "Queue is being retired."})
    item.refresh_from_db()
    assert item.status == ActionStatus.WONT_DO and item.wont_do_reason == "Queue is being retired."


@pytest.mark.parametrize("role,expected", [("reader", 403), ("other_author", 403), ("author", 302),
                                           ("facilitator", 302), ("anonymous", 302)])
def test_action_item_status_permissions(client, users, item, role, expected):
    response = client_for(client, users, role).post(f"/action-items/{item.pk}/status/", {"status": "done"})
    assert response.status_code == expected
    item.refresh_from_db()
    assert (item.status == ActionStatus.DONE) == (role in ("author", "facilitator"))


def test_action_item_of_invisible_postmortem_is_404(client, reader, draft, author):
    item = ActionItem.objects.create(postmortem=draft, title="Hidden", owner=author)
    client.force_login(reader)
    assert client.post(f"/action-items/{item.pk}/status/", {"status": "done"}).status_code == 404


def test_action_items_query_count_constant(client, facilitator, published, django_assert_max_num_queries):
    client.force_login(facilitator)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ActionItem.objects.create(postmortem=published, title="one", owner=facilitator)
    with CaptureQueriesContext(connection) as few:
        client.get("/action-items/?owner=all")
    for i in range(15):
        ActionItem.objects.create(postmortem=published, title=f"more {i}", owner=facilitator)
    with CaptureQueriesContext(connection) as many:
        client.get("/action-items/?owner=all")
    assert len(many) == len(few)


# ---- home and profile -----------------------------------------------------------------------


def test_home_for_each_role(client, author, facilitator, reader, draft, published):
    draft.status = Status.IN_REVIEW
    draft.save()
    client.force_login(author)
    content = client.get("/").content.decode()
    assert "My drafts" in content and "Checkout timeouts" in content and "Queue backlog" in content
    client.force_login(facilitator)
    assert "Awaiting review" in client.get("/").content.decode()
    client.force_login(reader)
    content = client.get("/").content.decode()
    assert "My drafts" not in content and "Checkout timeouts" not in content


def test_profile_time_zone_changes_displayed_times(client, reader, published):
    client.force_login(reader)
    assert client.post("/profile/", {"time_zone": "Not/AZone"}).status_code == 200
    assert client.post("/profile/", {"time_zone": "Asia/Tokyo"}).status_code == 302
    content = client.get(f"/postmortems/{published.slug}/").content.decode()
    assert "1 Feb 2024, 18:00 JST" in content


def test_login_with_password(client, reader):
    assert client.login(username="rita", password=PASSWORD)
    assert User.objects.filter(username="rita").exists()
    assert Section.objects.count() == 0


# ---- the coach at review --------------------------------------------------------------------


def test_open_language_findings_hold_publishing_until_fixed_or_dismissed(client, author, facilitator, draft):
    from postmortems.models import LanguageFinding
    from postmortems.services import finding_dismiss

    draft.sections.filter(required=True).update(body="The deploy went out at 14:00.")
    services.postmortem_record_change(postmortem=draft, user=author)
    story = draft.sections.get(heading="What happened")
    client.force_login(author)
    data = editor_data(draft)
    index = list(draft.sections.values_list("pk", flat=True)).index(story.pk)
    data[f"sections-{index}-body"] = "The engineer carelessly restarted the primary."
    assert client.post(f"/postmortems/{draft.slug}/edit/", data).status_code == 302
    finding = LanguageFinding.objects.get(postmortem=draft)
    assert finding.text.lower() == "carelessly"

    response = client.post(f"/postmortems/{draft.slug}/submit/", follow=True)
    assert "The language coach has 1 open finding" in response.content.decode()
    client.force_login(facilitator)
    page = client.get(f"/postmortems/{draft.slug}/").content.decode()
    assert "Language coach" in page and "<mark>carelessly</mark>" in page
    response = client.post(f"/postmortems/{draft.slug}/publish/", follow=True)
    assert "1 language finding is still open" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW

    finding_dismiss(postmortem=draft, user=author, rule_slug=finding.rule_slug, location=finding.location,
                    text=finding.text, reason="Quoted from the vendor's incident report.")
    page = client.get(f"/postmortems/{draft.slug}/").content.decode()
    assert "Quoted from the vendor&#x27;s incident report." in page
    client.post(f"/postmortems/{draft.slug}/publish/")
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_history_speaks_in_readers_words(client, author, draft):
    client.force_login(author)
    client.post(f"/postmortems/{draft.slug}/edit/", editor_data(draft, severity="sev1", restricted="on",
                                                                detected_at="2024-03-01T14:05"))
    content = client.get(f"/postmortems/{draft.slug}/history/?version=2").content.decode()
    assert "<h3>Severity</h3>" in content and "<del>SEV2</del><ins>SEV1</ins>" in content
    assert "<h3>Visibility</h3>" in content and "<ins>Restricted</ins>" in content
    assert "<h3>Detected</h3>" in content and "1 Mar 2024, 14:05 UTC" in content
