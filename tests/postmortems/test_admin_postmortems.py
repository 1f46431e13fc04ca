"""The post-mortem admin: list, filters, review queue, actions, and saving through the services."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postmortems import services
from postmortems.models import (
    ActionItem,
    FactorCategory,
    FindingDismissal,
    LanguageFinding,
    PostMortem,
    Revision,
    Section,
    Team,
    Template,
)
from tests.factories import make_user
from tests.postmortems.admin_support import PM_LIST, act, days_ago, form_data, messages_of


@pytest.fixture
def desk(client, facilitator):
    client.force_login(facilitator)
    return client


def rich_postmortem(make_postmortem, n, *, status="published", **fields):
    """A post-mortem with everything a list row shows: teams, tags, authors, action items, findings."""
    team, _ = Team.objects.get_or_create(slug=f"team-{n % 4}", defaults={"name": f"Team {n % 4}"})
    author = make_user(f"writer{n}", "Authors", first_name="Writer", last_name=str(n))
    pm = make_postmortem(status=status, authors=[author], started_at=days_ago(n + 1), **fields)
    pm.teams.add(team)
    pm.tags.add(f"tag-{n % 5}", "shared")
    ActionItem.objects.create(postmortem=pm, title=f"Add alert {n}", due_date=date.today() - timedelta(days=1))
    ActionItem.objects.create(postmortem=pm, title=f"Done thing {n}", status="done")
    LanguageFinding.objects.create(postmortem=pm, rule_slug="careless", category="blame", location="section:1",
                                   text="carelessly")
    return pm


def changelist_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


# --- The list ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_list_shows_status_severity_teams_tags_authors_age_and_open_action_items(desk, make_postmortem):
    pm = rich_postmortem(make_postmortem, 1, status="in_review", severity="sev1")
    PostMortem.objects.filter(pk=pm.pk).update(status_changed_at=days_ago(3))
    html = desk.get(PM_LIST).content.decode()
    assert pm.title in html
    assert '<span class="hs-status hs-status--in_review">In review</span>' in html
    assert '<span class="hs-sev hs-sev--sev1">SEV1</span>' in html
    assert "Team 1" in html
    assert "shared, tag-1" in html
    assert "Writer 1" in html
    assert "3\xa0days" in html
    assert '<td class="field-open_action_items">1</td>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PM_LIST, PM_LIST + "?queue=review", PM_LIST + "?status__exact=published&q=Incident"])
def test_list_query_count_does_not_grow_with_rows(desk, make_postmortem, url):
    for n in range(3):
        rich_postmortem(make_postmortem, n, status="in_review" if n % 2 else "published")
    few, response = changelist_queries(desk, url)
    assert len(response.context["cl"].result_list) >= 1
    for n in range(3, 20):
        rich_postmortem(make_postmortem, n, status="in_review" if n % 2 else "published")
    many, response = changelist_queries(desk, url)
    assert len(response.context["cl"].result_list) > 3
    assert many == few


@pytest.mark.django_db
def test_filters_status_severity_team_tag_restricted_and_date(desk, make_postmortem):
    a = rich_postmortem(make_postmortem, 1, status="published", severity="sev1")
    b = rich_postmortem(make_postmortem, 2, status="draft", severity="sev3", restricted=True)
    team = a.teams.get()
    tag_id = a.tags.get(name="tag-1").pk
    year, month = a.started_at.year, a.started_at.month

    def shown(query):
        response = desk.get(PM_LIST + query)
        assert response.status_code == 200, query
        return set(response.context["cl"].result_list)

    assert shown("?status__exact=published") == {a}
    assert shown("?severity__exact=sev3") == {b}
    assert shown(f"?teams__id__exact={team.pk}") == {a}
    assert shown(f"?tags__id__exact={tag_id}") == {a}
    assert shown("?restricted__exact=1") == {b}
    assert a in shown(f"?started_at__year={year}&started_at__month={month}")


@pytest.mark.django_db
def test_search_covers_title_and_summary(desk, make_postmortem):
    a = make_postmortem(title="Queue backlog", summary="Consumers fell behind")
    b = make_postmortem(title="DNS outage", summary="A resolver stopped answering")
    assert set(desk.get(PM_LIST + "?q=backlog").context["cl"].result_list) == {a}
    assert set(desk.get(PM_LIST + "?q=resolver").context["cl"].result_list) == {b}


# --- The review queue ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_review_queue_lists_what_waits_oldest_first_with_open_findings(desk, make_postmortem):
    newer = make_postmortem(title="Newer", status="in_review", status_changed_at=days_ago(1))
    older = make_postmortem(title="Older", status="in_review", status_changed_at=days_ago(6))
    make_postmortem(title="A draft", status="draft", status_changed_at=days_ago(9))
    make_postmortem(title="Published", status="published", status_changed_at=days_ago(9))
    for text in ("carelessly", "should have", "obviously"):
        LanguageFinding.objects.create(postmortem=older, rule_slug=text.replace(" ", "-"), category="blame",
                                       location="section:1", text=text)
    FindingDismissal.objects.create(postmortem=older, rule_slug="obviously", location="section:1", text="obviously",
                                    reason="Quoting the alert text")
    response = desk.get(PM_LIST + "?queue=review")
    assert list(response.context["cl"].result_list) == [older, newer]
    html = response.content.decode()
    assert "Open coach findings" in html
    assert '<td class="field-open_findings">2</td>' in html
    assert '<td class="field-open_findings">0</td>' in html
    assert "Waiting for" in html


@pytest.mark.django_db
def test_review_queue_keeps_its_order_even_when_the_default_list_order_differs(desk, make_postmortem):
    first_started = make_postmortem(title="Long waiting", status="in_review", started_at=days_ago(1),
                                    status_changed_at=days_ago(10))
    late_started = make_postmortem(title="Just arrived", status="in_review", started_at=days_ago(20),
                                   status_changed_at=days_ago(0.1))
    assert list(desk.get(PM_LIST).context["cl"].result_list)[:2] == [first_started, late_started]
    assert list(desk.get(PM_LIST + "?queue=review").context["cl"].result_list) == [first_started, late_started]
    PostMortem.objects.filter(pk=first_started.pk).update(status_changed_at=timezone.now())
    assert list(desk.get(PM_LIST + "?queue=review").context["cl"].result_list) == [late_started, first_started]


# --- Actions -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_publish_action_publishes_and_records_a_revision(desk, facilitator, make_postmortem):
    pm = make_postmortem(status="in_review")
    response = act(desk, PM_LIST, "publish", [pm])
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.status == "published" and pm.published_at is not None
    revision = pm.revisions.get()
    assert (revision.action, revision.user) == ("published", facilitator)


@pytest.mark.django_db
def test_publish_action_leaves_already_published_ones_alone_and_says_so(desk, make_postmortem):
    done = make_postmortem(title="Old news", status="published")
    waiting = make_postmortem(title="Fresh", status="in_review")
    response = act(desk, PM_LIST, "publish", [done, waiting])
    notes = messages_of(desk.get(response["Location"]))
    assert any("Published: “Fresh”" in n for n in notes)
    assert any("“Old news”: This post-mortem is already published." in n for n in notes)
    assert not done.revisions.exists()
    assert waiting.revisions.get().action == "published"


@pytest.mark.django_db
def test_send_back_asks_for_a_comment_first(desk, make_postmortem):
    pm = make_postmortem(status="in_review")
    response = act(desk, PM_LIST, "send_back", [pm])
    assert response.status_code == 200
    html = response.content.decode()
    assert "<textarea" in html and 'name="comment"' in html
    assert f'name="_selected_action" value="{pm.pk}"' in html
    pm.refresh_from_db()
    assert pm.status == "in_review"
    assert not pm.revisions.exists()


@pytest.mark.django_db
def test_send_back_without_a_comment_is_refused_and_nothing_changes(desk, make_postmortem):
    pm = make_postmortem(status="in_review")
    response = act(desk, PM_LIST, "send_back", [pm], apply="Send back", comment="   ")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode() or "Say what needs" in response.content.decode()
    pm.refresh_from_db()
    assert pm.status == "in_review"
    assert not pm.revisions.exists()


@pytest.mark.django_db
def test_send_back_with_a_comment_returns_to_draft_and_keeps_the_comment(desk, facilitator, make_postmortem):
    pm = make_postmortem(status="in_review")
    response = act(desk, PM_LIST, "send_back", [pm], apply="Send back", comment="The timeline stops at 14:05.")
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.status == "draft"
    revision = pm.revisions.get()
    assert (revision.action, revision.comment, revision.user) == (
        "sent back", "The timeline stops at 14:05.", facilitator)


@pytest.mark.django_db
def test_send_back_a_draft_is_refused_with_a_message(desk, make_postmortem):
    pm = make_postmortem(title="Still drafting", status="draft")
    response = act(desk, PM_LIST, "send_back", [pm], apply="Send back", comment="Look again")
    notes = messages_of(desk.get(response["Location"]))
    assert any("“Still drafting”: This post-mortem is already a draft." in n for n in notes)
    assert not pm.revisions.exists()


@pytest.mark.django_db
def test_restrict_and_unrestrict_actions_record_revisions(desk, make_postmortem):
    pm = make_postmortem(status="published")
    act(desk, PM_LIST, "mark_restricted", [pm])
    pm.refresh_from_db()
    assert pm.restricted
    act(desk, PM_LIST, "mark_unrestricted", [pm])
    pm.refresh_from_db()
    assert not pm.restricted
    assert list(pm.revisions.values_list("action", flat=True)) == ["unrestricted", "restricted"]


@pytest.mark.django_db
def test_change_page_offers_publish_and_send_back_buttons_that_run_the_actions(desk, make_postmortem):
    pm = make_postmortem(status="in_review")
    html = desk.get(f"{PM_LIST}{pm.pk}/change/").content.decode()
    assert 'value="publish"' in html and 'value="send_back"' in html
    assert 'value="add_to_reading_list"' in html
    response = act(desk, PM_LIST, "send_back", [pm])
    assert "Send back to draft" in response.content.decode()


# --- Saving through the admin form ---------------------------------------------------------------

def change_page(desk, pm):
    response = desk.get(f"{PM_LIST}{pm.pk}/change/")
    assert response.status_code == 200
    return response


@pytest.mark.django_db
def test_saving_the_change_form_records_a_revision(desk, facilitator, make_postmortem):
    pm = make_postmortem(status="in_review", title="Before")
    pm.tags.add("redis")
    Section.objects.create(postmortem=pm, heading="Summary", body="Old body")
    data = form_data(change_page(desk, pm), "postmortem_form")
    data["title"] = ["After"]
    data["sections-0-body"] = ["New body"]
    response = desk.post(f"{PM_LIST}{pm.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    pm.refresh_from_db()
    assert pm.title == "After"
    revision = pm.revisions.get()
    assert (revision.action, revision.user, revision.version) == ("edited in admin", facilitator, pm.version)
    assert revision.snapshot["title"] == "After"
    assert revision.snapshot["sections"][0]["body"] == "New body"
    assert revision.snapshot["tags"] == ["redis"]
    assert pm.status == "in_review"  # status only changes through the actions


@pytest.mark.django_db
def test_change_form_sets_existing_tags_by_autocomplete_and_creates_new_ones(desk, make_postmortem):
    pm = make_postmortem()
    pm.tags.add("redis", "cache")
    from taggit.models import Tag

    keep = Tag.objects.get(name="cache")
    data = form_data(change_page(desk, pm), "postmortem_form")
    assert sorted(data["tags"]) == sorted(str(t.pk) for t in pm.tags.all())
    data["tags"] = [str(keep.pk)]
    data["new_tags"] = ["dns, Failover"]
    assert desk.post(f"{PM_LIST}{pm.pk}/change/", data).status_code == 302
    assert sorted(pm.tags.names()) == ["Failover", "cache", "dns"]
    assert pm.revisions.get().snapshot["tags"] == ["Failover", "cache", "dns"]


@pytest.mark.django_db
def test_change_form_refuses_a_stale_save_and_keeps_the_other_edit(desk, author, make_postmortem):
    pm = make_postmortem(title="Original")
    data = form_data(change_page(desk, pm), "postmortem_form")
    # Meanwhile an author saves in the editor.
    PostMortem.objects.filter(pk=pm.pk).update(summary="Author's summary")
    services.postmortem_record_change(postmortem=pm, user=author)
    data["title"] = ["Facilitator's title"]
    response = desk.post(f"{PM_LIST}{pm.pk}/change/", data)
    assert response.status_code == 200
    assert "Someone else saved this post-mortem after you opened it" in response.content.decode()
    pm.refresh_from_db()
    assert (pm.title, pm.summary) == ("Original", "Author's summary")
    assert pm.revisions.count() == 1


@pytest.mark.django_db
def test_change_form_edits_inline_action_items_and_keeps_status_consistent(desk, make_postmortem):
    pm = make_postmortem()
    item = ActionItem.objects.create(postmortem=pm, title="Add alert")
    data = form_data(change_page(desk, pm), "postmortem_form")
    data["action_items-0-status"] = ["wont_do"]
    response = desk.post(f"{PM_LIST}{pm.pk}/change/", data)
    assert response.status_code == 200
    assert "Say why this will not be done." in response.content.decode()
    data["action_items-0-wont_do_reason"] = ["Replaced by the new pager"]
    assert desk.post(f"{PM_LIST}{pm.pk}/change/", data).status_code == 302
    item.refresh_from_db()
    assert item.status == "wont_do" and item.completed_at is not None
    assert pm.revisions.get().snapshot["action_items"][0]["status"] == "wont_do"


@pytest.mark.django_db
def test_add_page_renders_and_creates_a_post_mortem_with_the_template_sections(desk, facilitator):
    template = Template.objects.get(slug="standard")
    FactorCategory.objects.get_or_create(slug="change", defaults={"name": "Change"})
    response = desk.get(f"{PM_LIST}add/")
    assert response.status_code == 200
    data = form_data(response, "postmortem_form")
    data.update(title=["Disk full on the primary"], slug=["disk-full"], template=[str(template.pk)],
                authors=[str(facilitator.pk)])
    response = desk.post(f"{PM_LIST}add/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    pm = PostMortem.objects.get(slug="disk-full")
    assert [s.heading for s in pm.sections.all()] == [s.heading for s in template.sections.all()]
    revision = pm.revisions.get()
    assert (revision.action, revision.version, pm.version) == ("created in admin", 1, 1)


@pytest.mark.django_db
def test_change_page_shows_recent_history_and_durations(desk, facilitator, make_postmortem):
    start = timezone.now() - timedelta(hours=3)
    pm = make_postmortem(started_at=start, detected_at=start + timedelta(minutes=12))
    services.postmortem_record_change(postmortem=pm, user=facilitator, action="sent back", comment="Add impact")
    html = change_page(desk, pm).content.decode()
    assert "sent back" in html and "“Add impact”" in html
    assert "12 min" in html or "12m" in html


@pytest.mark.django_db
def test_deleting_a_post_mortem_in_the_admin_removes_it(desk, make_postmortem):
    pm = make_postmortem()
    response = desk.post(f"{PM_LIST}{pm.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not PostMortem.objects.filter(pk=pm.pk).exists()
    assert not Revision.objects.filter(postmortem_id=pm.pk).exists()
