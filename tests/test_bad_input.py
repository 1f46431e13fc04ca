"""Bad input gets an answer, never a 500: each case here once broke a page (see also test_fuzz.py)."""

from datetime import UTC, datetime

import pytest

from knowledge.models import RelatedLink
from postmortems import services
from postmortems.models import ActionItem, PostMortem, Status, Team, Template
from tests.postmortems.test_views import editor_data

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.fixture
def published(author, facilitator):
    pm = services.postmortem_create(user=author, template=Template.objects.get(slug="lightweight"),
                                    title="Queue backlog", severity="sev3",
                                    started_at=datetime(2024, 2, 1, 9, 0, tzinfo=UTC))
    PostMortem.objects.filter(pk=pm.pk).update(status=Status.PUBLISHED)
    ActionItem.objects.create(postmortem=pm, title="Alert on queue depth", owner=author)
    Team.objects.create(name="Payments", slug="payments")
    pm.refresh_from_db()
    return pm


def test_feed_with_a_null_byte_token_is_not_found(client):
    assert client.get("/feeds/published/?token=%00").status_code == 404


@pytest.mark.parametrize("path", [
    "/postmortems/?team=%00", "/postmortems/?tag=%00", "/postmortems/?tag=a%00b&team=payments%00",
    "/search/?team=%00", "/search/?tag=%00", "/search/?q=queue%00&factor=%00&severity=%00",
    "/action-items/?team=%00&owner=all", "/tags/autocomplete/?q=%00", "/similar/?exclude=%00&title=queue",
])
def test_a_null_byte_in_a_filter_finds_nothing_and_says_so(client, reader, published, path):
    client.force_login(reader)
    response = client.get(path)
    assert response.status_code == 200


def test_a_null_byte_in_a_filter_matches_nothing(client, reader, published):
    client.force_login(reader)
    assert client.get("/postmortems/?team=payments").context["page"].paginator.count == 0
    published.teams.add(Team.objects.get(slug="payments"))
    assert client.get("/postmortems/?team=payments").context["page"].paginator.count == 1
    assert client.get("/postmortems/?team=payments%00").context["page"].paginator.count == 0


def test_a_null_byte_in_the_coach_trends_team_is_an_unknown_team(client, facilitator, published):
    client.force_login(facilitator)
    assert client.get("/coach/trends/?team=%00").status_code == 404
    assert client.get("/coach/trends/?team=payments").status_code == 200


@pytest.mark.parametrize("field", ["target", "note"])
def test_a_null_byte_in_a_related_link_is_refused_with_a_message(client, author, published, field):
    other = services.postmortem_create(user=author, template=Template.objects.get(slug="lightweight"),
                                       title="Cache stampede", severity="sev2", started_at=None)
    client.force_login(author)
    data = {"target": other.slug, "note": "same failure mode"}
    data[field] = data[field] + NUL
    response = client.post(f"/postmortems/{published.slug}/links/add/", data, follow=True)
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    assert not RelatedLink.objects.exists()


@pytest.mark.parametrize("path", ["/action-items/?owner=%C2%B2", "/action-items/?owner=%D9%A3",
                                  "/search/?year=%C2%B2", "/search/?year=%D9%A3%D9%A3", "/search/?year=99999999999"])
def test_digits_that_are_not_ascii_are_not_numbers(client, reader, published, path):
    client.force_login(reader)
    assert client.get(path).status_code == 200


def test_an_owner_given_in_another_script_s_digits_is_not_read_as_a_number(client, author, published):
    client.force_login(author)
    response = client.get(f"/action-items/?owner=%D9%A{author.pk}")  # not ASCII: no owner filter applies
    assert response.status_code == 200


def test_a_very_long_tag_is_refused_beside_the_field(client, author, published):
    client.force_login(author)
    long_tag = "x" * 5000
    response = client.post(f"/postmortems/{published.slug}/edit/",
                           editor_data(published, tags=f"queues, {long_tag}", summary="Kept summary"))
    assert response.status_code == 400  # refused: shown again with everything kept
    content = response.content.decode()
    assert "Tags are at most 50 characters" in content
    assert "Kept summary" in content
    published.refresh_from_db()
    assert published.version == 1 and not published.tags.exists()


def test_a_tag_of_fifty_characters_is_kept(client, author, published):
    client.force_login(author)
    tag = "t" * 50
    response = client.post(f"/postmortems/{published.slug}/edit/", editor_data(published, tags=f"queues, {tag}"))
    assert response.status_code == 302
    assert sorted(services.pending_amendment(published).document["tags"]) == ["queues", tag]


def test_a_very_long_new_tag_in_the_admin_is_refused_beside_the_field(client, facilitator, make_postmortem):
    from tests.postmortems.admin_support import PM_LIST, form_data

    pm = make_postmortem(title="Original")
    client.force_login(facilitator)
    data = form_data(client.get(f"{PM_LIST}{pm.pk}/change/"), "postmortem_form")
    data["new_tags"] = ["dns, " + "y" * 5000]
    data["title"] = ["Changed title"]
    response = client.post(f"{PM_LIST}{pm.pk}/change/", data)
    assert response.status_code == 200
    assert "Tags are at most 50 characters" in response.content.decode()
    pm.refresh_from_db()
    assert pm.title == "Original" and not pm.tags.exists()


@pytest.mark.parametrize("slug", ["\x00", "queue\x00backlog", "../admin", "x" * 5000])
def test_the_coach_check_answers_a_post_mortem_that_is_no_slug_with_404_json(client, author, published, slug):
    import json

    client.force_login(author)
    payload = {"texts": [{"location": "summary", "kind": "summary", "text": "Fine words."}], "postmortem": slug}
    response = client.post("/coach/check/", json.dumps(payload), content_type="application/json",
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert "error" in response.json()


HUGE_ID = "9" * 30


@pytest.mark.parametrize("field", ["authors", "teams"])
def test_an_id_beyond_any_column_is_no_choice_not_a_crash(client, author, published, field):
    client.force_login(author)
    response = client.post(f"/postmortems/{published.slug}/edit/", editor_data(published, **{field: [HUGE_ID]}))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_admin_acting_on_a_row_id_beyond_any_column_selects_nothing(client, facilitator, published):
    client.force_login(facilitator)
    response = client.post("/admin/postmortems/postmortem/", {
        "action": "delete_selected", "_selected_action": [HUGE_ID, str(published.pk)], "index": "0"})
    assert response.status_code == 200
    assert "delete post-mortem" in response.content.decode()  # the confirmation, for the one real row


@pytest.mark.parametrize("query", [
    "started_at__year=99999999999999999999", "started_at__year=-5", "started_at__year=9999",
    "started_at__year=9999&started_at__month=12", "started_at__year=2024&started_at__month=99",
])
def test_an_admin_date_drill_down_outside_the_calendar_is_a_bad_filter(client, facilitator, published, query):
    client.force_login(facilitator)
    response = client.get(f"/admin/postmortems/postmortem/?{query}")
    assert response.status_code == 302 and "year" not in response["Location"]
    response = client.get(f"/admin/postmortems/revision/?{query.replace('started_at', 'created_at')}")
    assert response.status_code == 302 and "year" not in response["Location"]




def test_a_history_version_in_another_script_s_digits(client, reader, published):
    client.force_login(reader)
    assert client.get(f"/postmortems/{published.slug}/history/?version=%C2%B2").status_code == 200


def test_the_trends_of_the_last_month_of_9999(client, facilitator):
    client.force_login(facilitator)
    assert client.get("/coach/trends/?month=9999-12").status_code < 500


def test_the_insights_list_for_the_last_month_of_9999(client, facilitator, published):
    client.force_login(facilitator)
    assert client.get("/insights/postmortems/?month=9999-12").status_code < 500


def test_a_sections_row_added_to_the_editor_s_form_is_refused_or_ignored(client, author, published):
    client.force_login(author)
    data = editor_data(published)
    rows = int(data["sections-TOTAL_FORMS"])
    data.update({"sections-TOTAL_FORMS": rows + 1, f"sections-{rows}-body": "A section no template has"})
    response = client.post(f"/postmortems/{published.slug}/edit/", data)
    assert response.status_code < 500


@pytest.mark.parametrize("value", [NUL, "²", HUGE_ID])
def test_an_admin_form_with_autocomplete_fields_shows_its_errors_whatever_was_sent(client, facilitator, published,
                                                                                   value):
    client.force_login(facilitator)
    response = client.post("/admin/postmortems/actionitem/add/", {
        "postmortem": value, "owner": value, "title": "Alert on queue depth", "kind": "detect", "priority": "high",
        "status": "open"})
    assert response.status_code == 200
    assert "Please correct the errors below" in response.content.decode()
    response = client.post("/admin/knowledge/relatedlink/add/", {"source": value, "target": value, "note": "x"})
    assert response.status_code == 200
    assert "Please correct the errors below" in response.content.decode()
