"""Templates, taxonomy, action items, language rules, users and role groups in the admin."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import services
from postmortems.coach.checks import rule_matches
from postmortems.models import ActionItem, LanguageRule, PostMortem, Template, TemplateSection
from tests.factories import make_user
from tests.postmortems.admin_support import act, form_data, messages_of

TEMPLATES = "/admin/postmortems/template/"
ITEMS = "/admin/postmortems/actionitem/"
RULES = "/admin/postmortems/languagerule/"


@pytest.fixture
def desk(client, facilitator):
    client.force_login(facilitator)
    return client


# --- Templates -----------------------------------------------------------------------------------

@pytest.fixture
def template(db):
    t = Template.objects.create(name="Short", slug="short", description="For small incidents")
    TemplateSection.objects.create(template=t, position=2, heading="Impact", required=True)
    TemplateSection.objects.create(template=t, position=1, heading="Summary", guidance="In two sentences")
    TemplateSection.objects.create(template=t, position=3, heading="Lessons")
    return t


@pytest.mark.django_db
def test_template_sections_are_edited_inline_in_position_order(desk, template):
    response = desk.get(f"{TEMPLATES}{template.pk}/change/")
    data = form_data(response, "template_form")
    assert [data[f"sections-{i}-heading"][0] for i in range(3)] == ["Summary", "Impact", "Lessons"]
    assert [data[f"sections-{i}-position"][0] for i in range(3)] == ["1", "2", "3"]


@pytest.mark.django_db
def test_duplicate_template_action_copies_the_sections_into_an_inactive_template(desk, template):
    response = act(desk, TEMPLATES, "duplicate", [template])
    assert response.status_code == 302
    copy = Template.objects.get(name="Short (copy)")
    assert (copy.slug, copy.is_active, copy.description) == ("short-copy", False, "For small incidents")
    assert [(s.position, s.heading, s.required, s.guidance) for s in copy.sections.all()] == [
        (s.position, s.heading, s.required, s.guidance) for s in template.sections.all()
    ]
    act(desk, TEMPLATES, "duplicate", [template])
    assert Template.objects.filter(name="Short (copy) 2", slug="short-copy-2").exists()
    assert TemplateSection.objects.filter(template=template).count() == 3


@pytest.mark.django_db
def test_editing_a_template_in_use_does_not_change_existing_post_mortems(desk, author, template):
    pm = services.postmortem_create(user=author, template=template, title="Cache stampede", severity="sev2",
                                    started_at=None)
    before = [(s.heading, s.guidance, s.required) for s in pm.sections.all()]
    data = form_data(desk.get(f"{TEMPLATES}{template.pk}/change/"), "template_form")
    data["sections-0-heading"] = ["What happened"]
    data["sections-0-guidance"] = ["New prompt"]
    data["sections-2-DELETE"] = ["on"]
    response = desk.post(f"{TEMPLATES}{template.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert [s.heading for s in template.sections.all()] == ["What happened", "Impact"]
    assert [(s.heading, s.guidance, s.required) for s in pm.sections.all()] == before
    # A post-mortem started after the edit gets the new sections.
    later = services.postmortem_create(user=author, template=template, title="Later", severity="sev3",
                                       started_at=None)
    assert [s.heading for s in later.sections.all()] == ["What happened", "Impact"]


@pytest.mark.django_db
def test_template_list_counts_sections(desk, template):
    html = desk.get(TEMPLATES).content.decode()
    assert '<td class="field-section_count">3</td>' in html


# --- Taxonomy ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_team_and_factor_category_can_be_added_in_the_admin(desk):
    response = desk.post("/admin/postmortems/team/add/", {"name": "Search", "slug": "search"})
    assert response.status_code == 302
    response = desk.post(
        "/admin/postmortems/factorcategory/add/",
        {"name": "Alerting", "slug": "alerting", "description": "Signals that fired late or not at all",
         "position": "9"},
    )
    assert response.status_code == 302
    html = desk.get("/admin/postmortems/factorcategory/").content.decode()
    assert "Alerting" in html


@pytest.mark.django_db
def test_team_search_answers_the_autocomplete(desk, team):
    response = desk.get("/admin/autocomplete/", {"app_label": "postmortems", "model_name": "postmortem",
                                                 "field_name": "teams", "term": "pay"})
    assert response.json()["results"] == [{"id": str(team.pk), "text": "Payments"}]


# --- Action items --------------------------------------------------------------------------------

@pytest.fixture
def items(make_postmortem, author):
    pm = make_postmortem(title="Queue backlog")
    today = date.today()
    return {
        "late": ActionItem.objects.create(postmortem=pm, title="Add lag alert", owner=author,
                                          due_date=today - timedelta(days=3)),
        "soon": ActionItem.objects.create(postmortem=pm, title="Tune consumers", due_date=today + timedelta(days=3)),
        "done_late": ActionItem.objects.create(postmortem=pm, title="Write runbook", status="done",
                                               due_date=today - timedelta(days=9)),
        "undated": ActionItem.objects.create(postmortem=pm, title="Review limits"),
    }


@pytest.mark.django_db
def test_action_item_list_filters_overdue_owner_and_status(desk, items, author):
    def shown(query):
        response = desk.get(ITEMS + query)
        assert response.status_code == 200
        return set(response.context["cl"].result_list)

    assert shown("?due=overdue") == {items["late"]}
    assert shown("?due=no_date") == {items["undated"]}
    assert shown(f"?owner__id__exact={author.pk}") == {items["late"]}
    assert shown("?status__exact=done") == {items["done_late"]}
    assert shown("?q=backlog") == set(items.values())


@pytest.mark.django_db
def test_bulk_status_change_goes_through_the_service(desk, items, facilitator):
    response = act(desk, ITEMS, "mark_done", [items["late"], items["soon"]])
    assert response.status_code == 302
    for key in ("late", "soon"):
        items[key].refresh_from_db()
        assert items[key].status == "done" and items[key].completed_at is not None
    pm = items["late"].postmortem
    recorded = sorted(f"{r.action} {r.comment}" for r in pm.revisions.all())
    assert len(recorded) == 2
    assert "Add lag alert" in recorded[0] and "Tune consumers" in recorded[1]
    assert all("done" in text for text in recorded)
    assert set(pm.revisions.values_list("user", flat=True)) == {facilitator.pk}


@pytest.mark.django_db
def test_wont_do_asks_for_a_reason_and_refuses_an_empty_one(desk, items):
    response = act(desk, ITEMS, "mark_wont_do", [items["late"]])
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()
    response = act(desk, ITEMS, "mark_wont_do", [items["late"]], apply="Mark won't do", reason="  ")
    assert response.status_code == 200
    items["late"].refresh_from_db()
    assert items["late"].status == "open"
    assert not items["late"].postmortem.revisions.exists()


@pytest.mark.django_db
def test_wont_do_with_a_reason_keeps_it_on_each_item(desk, items):
    chosen = [items["late"], items["undated"]]
    response = act(desk, ITEMS, "mark_wont_do", chosen, apply="Mark won't do", reason="Superseded by the migration")
    assert response.status_code == 302
    for item in chosen:
        item.refresh_from_db()
        assert (item.status, item.wont_do_reason) == ("wont_do", "Superseded by the migration")
        assert item.completed_at is not None
    assert items["late"].postmortem.revisions.count() == 2


@pytest.mark.django_db
def test_reopening_an_item_clears_its_completion(desk, items):
    act(desk, ITEMS, "mark_open", [items["done_late"]])
    items["done_late"].refresh_from_db()
    assert (items["done_late"].status, items["done_late"].completed_at) == ("open", None)


@pytest.mark.django_db
def test_editing_an_action_item_records_a_revision_on_its_post_mortem(desk, items):
    item = items["soon"]
    data = form_data(desk.get(f"{ITEMS}{item.pk}/change/"), "actionitem_form")
    data["title"] = ["Tune consumer concurrency to 32"]
    data["status"] = ["in_progress"]
    assert desk.post(f"{ITEMS}{item.pk}/change/", data).status_code == 302
    revision = item.postmortem.revisions.get()
    assert (revision.action, revision.comment) == ("action item edited in admin", "“Tune consumer concurrency to 32”")
    edited = [a for a in revision.snapshot["action_items"] if a["title"] == "Tune consumer concurrency to 32"]
    assert edited[0]["status"] == "in_progress"


@pytest.mark.django_db
def test_action_item_list_query_count_does_not_grow(desk, make_postmortem):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(ITEMS).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for i in range(n):
            owner = make_user(f"owner{ActionItem.objects.count()}", "Authors")
            ActionItem.objects.create(postmortem=make_postmortem(), title=f"Item {i}", owner=owner)

    add(3)
    few = count()
    add(17)
    assert count() == few


# --- Language rules ------------------------------------------------------------------------------

@pytest.fixture
def rule(db):
    return LanguageRule.objects.create(slug="should-have-test", pattern="should have", category="counterfactual",
                                       message="Hindsight speaking.", suggestion="What made sense at the time?")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pattern, is_regex, text, expected",
    [
        ("should have", False, "They Should  have paged.", ["Should  have"]),
        ("just", False, "We just restarted; justified, adjusted.", ["just"]),
        ("fault", False, "Faulty disk, default config.", []),
        (r"\bcare(less|lessly)\b", True, "He carelessly ran it.", ["carelessly"]),
    ],
)
def test_try_it_runs_the_coachs_matcher_whole_words_in_any_case(desk, pattern, is_regex, text, expected):
    rule = LanguageRule.objects.create(slug="sample", pattern=pattern, is_regex=is_regex, category="blame",
                                       message="m")
    response = desk.get(f"{RULES}{rule.pk}/change/", {"try": text})
    assert [found for _, _, found in response.context["try_spans"]] == expected
    assert rule_matches(rule, text) == [(s, e) for s, e, _ in response.context["try_spans"]]


@pytest.mark.django_db
def test_try_it_box_shows_the_match(desk, rule):
    url = f"{RULES}{rule.pk}/change/"
    response = desk.get(url, {"try": "The engineer should have <b>known</b>."})
    html = response.content.decode()
    assert "1 match:" in html
    assert "The engineer <mark>should have</mark> &lt;b&gt;known&lt;/b&gt;." in html
    response = desk.get(url, {"try": "The cache expired."})
    assert "No match." in response.content.decode()


@pytest.mark.django_db
def test_try_it_reports_a_broken_stored_regex_instead_of_failing(desk):
    rule = LanguageRule.objects.create(slug="broken", pattern="(unclosed", is_regex=True, category="blame",
                                       message="m")
    response = desk.get(f"{RULES}{rule.pk}/change/", {"try": "anything"})
    assert response.status_code == 200
    assert "Not a valid regular expression" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("pattern, error", [
    ("(unclosed", "Not a valid regular expression"),
    ("x*", "The pattern matches empty text"),
])
def test_rule_form_refuses_a_pattern_the_coach_cannot_use(desk, rule, pattern, error):
    data = form_data(desk.get(f"{RULES}{rule.pk}/change/"), "languagerule_form")
    data.update(pattern=[pattern], is_regex=["on"])
    response = desk.post(f"{RULES}{rule.pk}/change/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    rule.refresh_from_db()
    assert rule.pattern == "should have"


@pytest.mark.django_db
def test_rule_applies_to_is_chosen_with_checkboxes(desk, rule):
    data = form_data(desk.get(f"{RULES}{rule.pk}/change/"), "languagerule_form")
    data["section_kinds"] = ["narrative", "timeline"]
    assert desk.post(f"{RULES}{rule.pk}/change/", data).status_code == 302
    rule.refresh_from_db()
    assert rule.section_kinds == ["narrative", "timeline"]


@pytest.mark.django_db
def test_enable_and_disable_actions(desk, rule):
    act(desk, RULES, "disable", [rule])
    rule.refresh_from_db()
    assert not rule.enabled
    assert [r for r in desk.get(RULES + "?enabled__exact=0").context["cl"].result_list] == [rule]
    act(desk, RULES, "enable", [rule])
    rule.refresh_from_db()
    assert rule.enabled


# --- Users and role groups -----------------------------------------------------------------------

@pytest.mark.django_db
def test_group_list_explains_each_role(desk, reader, author):
    html = desk.get("/admin/auth/group/").content.decode()
    assert "Read published, unrestricted post-mortems" in html
    assert "start post-mortems, edit the ones they author" in html
    assert "use this desk (with Staff status ticked)" in html


@pytest.mark.django_db
def test_user_list_shows_role_groups_with_constant_queries(desk, reader):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = desk.get("/admin/auth/user/")
        assert "Readers" in response.content.decode()
        return len(ctx.captured_queries)

    few = count()
    for n in range(15):
        make_user(f"person{n}", "Authors")
    assert count() == few


@pytest.mark.django_db
def test_user_form_explains_the_role_groups_and_staff_status(client, reader):
    root = User.objects.create_superuser("root", "root@example.com", "a-long-password-9")
    client.force_login(root)
    html = client.get(f"/admin/auth/user/{reader.pk}/change/").content.decode()
    assert "The role groups: Readers read published write-ups" in html
    assert "Facilitators need this to enter the facilitator's desk" in html


@pytest.mark.django_db
def test_facilitators_see_users_but_only_superusers_change_roles(desk, reader):
    response = desk.get(f"/admin/auth/user/{reader.pk}/change/")
    assert response.status_code == 200
    response = desk.post(f"/admin/auth/user/{reader.pk}/change/", {"username": "rita", "groups": [
        Group.objects.get(name="Facilitators").pk]})
    assert response.status_code == 403
    assert list(reader.groups.values_list("name", flat=True)) == ["Readers"]


@pytest.mark.django_db
def test_revisions_are_listed_read_only(desk, facilitator, make_postmortem):
    pm = make_postmortem()
    revision = services.postmortem_record_change(postmortem=pm, user=facilitator, action="sent back", comment="Why?")
    html = desk.get("/admin/postmortems/revision/").content.decode()
    assert "sent back" in html and "Why?" in html
    assert desk.get(f"/admin/postmortems/revision/{revision.pk}/change/").status_code == 200
    assert desk.post(f"/admin/postmortems/revision/{revision.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PostMortem.objects.get(pk=pm.pk).revisions.count() == 1
    assert messages_of(desk.get("/admin/")) == []
