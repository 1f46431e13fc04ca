"""The coach's endpoints: the live check, dismissing a finding, and the trend page."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from postmortems.coach import engine, review
from postmortems.coach import views as coach_views
from postmortems.models import FindingDismissal, LanguageFinding, Revision, Section, Status
from postmortems.services import postmortem_record_change
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

CHECK = "/coach/check/"
BLAMING = "The on-call engineer carelessly restarted the primary."


def client_for(user, **kwargs):
    client = Client(**kwargs)
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def post_check(client, payload, **extra):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(CHECK, body, content_type="application/json", HTTP_ACCEPT="application/json", **extra)


def one_text(text=BLAMING, kind="narrative", location="section:1", **more):
    return {"texts": [{"location": location, "kind": kind, "text": text, **more}]}


# --- POST /coach/check/ ------------------------------------------------------------------------


def test_check_returns_findings_with_span_message_and_suggestion(author):
    response = post_check(client_for(author), one_text())
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1 and data["checked"] == ["section:1"]
    [finding] = data["findings"]
    assert BLAMING[finding["start"]:finding["end"]] == finding["text"] == "carelessly"
    assert finding["rule"] == "careless" and finding["category"] == "blame"
    assert finding["category_label"] == "Blame and judgement"
    assert finding["message"] and "on-call engineer restarted the primary" in finding["suggestion"]
    assert finding["location"] == "section:1" and finding["dismissed"] is False
    assert finding["can_dismiss"] is False  # no post-mortem named


def test_check_answers_per_text_with_refs(author):
    payload = {
        "texts": [
            {"location": "section:1", "kind": "narrative", "text": "We should have rolled back.", "ref": "a"},
            {"location": "section:1", "kind": "lessons", "text": "We should have rolled back.", "ref": "b"},
            {"location": "action:3", "kind": "action_item", "text": "Investigate the retries", "ref": "c"},
        ]
    }
    data = post_check(client_for(author), payload).json()
    assert {(f["ref"], f["category"]) for f in data["findings"]} == {("a", "counterfactual"), ("c", "action_quality")}
    assert data["checked"] == ["a", "b", "c"]


def test_check_flags_high_priority_action_items_without_owner_or_due_date(author):
    item = {"location": "action:4", "kind": "action_item", "text": "Add a lag alert above 30 s", "ref": "x"}
    data = post_check(client_for(author), {"texts": [{**item, "priority": "high", "has_owner": False,
                                                       "has_due_date": True}]}).json()
    assert [f["rule"] for f in data["findings"]] == [engine.HIGH_PRIORITY_NO_OWNER]
    data = post_check(client_for(author), {"texts": [{**item, "priority": "low"}]}).json()
    assert data["findings"] == []


def test_every_signed_in_role_may_check_text(reader, author, other_author, facilitator, outsider):
    for user in (reader, author, other_author, facilitator, outsider):
        assert post_check(client_for(user), one_text()).status_code == 200


def test_anonymous_check_gets_401_json_not_a_redirect(db):
    response = post_check(client_for(None), one_text())
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["login_url"] == "/accounts/login/"
    # A browser (not fetch) is sent to sign in, like everywhere else.
    response = client_for(None).get(CHECK)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_check_without_csrf_token_gets_403_json(author):
    client = client_for(author, enforce_csrf_checks=True)
    response = post_check(client, one_text())
    assert response.status_code == 403
    assert "reload" in response.json()["error"]
    secret = "a" * 32  # what Django's CSRF cookie holds; the page's token is the same secret, masked or not
    client.cookies["csrftoken"] = secret
    assert post_check(client, one_text(), HTTP_X_CSRFTOKEN="b" * 32).status_code == 403
    assert post_check(client, one_text(), HTTP_X_CSRFTOKEN=secret).status_code == 200


def test_check_with_get_is_405(author):
    response = client_for(author).get(CHECK)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "error" in response.json()


@pytest.mark.parametrize(
    "payload, status, words",
    [
        ("", 400, "JSON body"),
        ("{not json", 400, "not valid JSON"),
        ("[1, 2]", 400, "JSON object"),
        ({}, 400, "Nothing to check"),
        ({"texts": []}, 400, "Nothing to check"),
        ({"texts": "hello"}, 400, "Nothing to check"),
        ({"texts": ["hello"]}, 400, "must be an object"),
        (one_text(text=""), 400, "empty"),
        (one_text(text="   \n  "), 400, "empty"),
        (one_text(kind="poem"), 400, "unknown kind"),
        (one_text(location=""), 400, "location"),
        (one_text(location="x" * 81), 400, "location"),
        (one_text(text="word " * 12_000), 413, "characters"),
        ({"texts": [one_text()["texts"][0]] * 201}, 413, "Too many texts"),
        ({**one_text(), "postmortem": 7}, 400, "slug"),
    ],
)
def test_check_rejects_bad_input_with_a_clear_json_answer(author, payload, status, words):
    response = post_check(client_for(author), payload)
    assert response.status_code == status
    assert words in response.json()["error"]


def test_check_rejects_a_huge_body_before_reading_it(author):
    huge = json.dumps(one_text(text="careless " * 80_000))
    response = post_check(client_for(author), huge)
    assert response.status_code == 413
    assert "too large" in response.json()["error"]


def test_check_with_a_post_mortem_marks_dismissed_findings_and_who_may_dismiss(author, reader, make_postmortem):
    pm = make_postmortem(authors=[author])
    FindingDismissal.objects.create(postmortem=pm, rule_slug="careless", location="section:1", text="carelessly",
                                    reason="Quoting the old runbook's wording.")
    data = post_check(client_for(author), {**one_text(), "postmortem": pm.slug}).json()
    [finding] = data["findings"]
    assert finding["dismissed"] is True and finding["reason"] == "Quoting the old runbook's wording."
    assert finding["can_dismiss"] is True
    new_row = post_check(client_for(author), {**one_text(location="timeline:new-3"), "postmortem": pm.slug}).json()
    assert new_row["findings"][0]["can_dismiss"] is False and new_row["findings"][0]["dismissed"] is False


def test_check_with_an_invisible_post_mortem_is_404_json(other_author, reader, make_postmortem, author):
    pm = make_postmortem(authors=[author])
    for user in (other_author, reader):
        response = post_check(client_for(user), {**one_text(), "postmortem": pm.slug})
        assert response.status_code == 404
        assert "error" in response.json()


def test_check_knows_names_shown_elsewhere_in_the_post_mortem(author, make_postmortem):
    pm = make_postmortem(authors=[author])
    Section.objects.create(postmortem=pm, heading="What happened", body="Zuzana said the graph looked normal.")
    text = one_text(text="Then Zuzana broke the deploy.")
    assert post_check(client_for(author), text).json()["findings"] == []
    data = post_check(client_for(author), {**text, "postmortem": pm.slug}).json()
    assert [f["rule"] for f in data["findings"]] == ["name-broke"]


def test_check_knows_hindsight_users_by_name(author):
    make_user("xq", "Authors", first_name="Xiaoqing", last_name="Zhou")
    data = post_check(client_for(author), one_text(text="Xiaoqing broke the deploy; @xq misconfigured the LB.")).json()
    assert [f["text"] for f in data["findings"]] == ["Xiaoqing broke", "@xq misconfigured"]


def test_check_costs_a_constant_number_of_queries(author, django_assert_max_num_queries):
    client = client_for(author)
    few = {"texts": [one_text()["texts"][0]]}
    many = {"texts": [dict(one_text()["texts"][0], location=f"section:{i}", ref=str(i)) for i in range(150)]}
    with django_assert_max_num_queries(8):
        assert post_check(client, few).status_code == 200
    with django_assert_max_num_queries(8):
        assert post_check(client, many).json()["count"] == 150


# --- POST /postmortems/<slug>/findings/dismiss/ ---------------------------------------------------


@pytest.fixture
def flagged_pm(author, make_postmortem):
    pm = make_postmortem(authors=[author], version=0)
    section = Section.objects.create(postmortem=pm, heading="What happened", body=BLAMING)
    postmortem_record_change(postmortem=pm, user=author, action="created")
    pm.refresh_from_db()
    pm.section = section
    return pm


def dismiss_url(pm):
    return f"/postmortems/{pm.slug}/findings/dismiss/"


def dismiss_data(pm, **changes):
    return {"rule": "careless", "location": f"section:{pm.section.pk}", "text": "carelessly",
            "reason": "The sentence quotes the old runbook.", **changes}


def test_author_dismisses_a_finding_with_a_reason_recorded_in_the_history(author, flagged_pm):
    pm = flagged_pm
    version = pm.version
    response = client_for(author).post(dismiss_url(pm), dismiss_data(pm), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "version": version + 1, "previous_version": version}
    dismissal = FindingDismissal.objects.get(postmortem=pm)
    assert (dismissal.rule_slug, dismissal.text, dismissal.user, dismissal.version) == (
        "careless", "carelessly", author, version + 1)
    revision = Revision.objects.filter(postmortem=pm).order_by("-version").first()
    assert revision.action == "dismissed a language finding"
    assert revision.comment == "The sentence quotes the old runbook."
    assert revision.user == author
    review = coach_views.findings_for_review(pm)
    assert (review["open_count"], review["dismissed_count"]) == (0, 1)


def test_dismissing_again_replaces_the_reason(author, flagged_pm):
    client = client_for(author)
    for reason in ("First reason.", "Better reason."):
        client.post(dismiss_url(flagged_pm), dismiss_data(flagged_pm, reason=reason), HTTP_ACCEPT="application/json")
    assert list(FindingDismissal.objects.values_list("reason", flat=True)) == ["Better reason."]


def test_dismiss_without_javascript_redirects_back_with_a_message(facilitator, flagged_pm):
    response = client_for(facilitator).post(
        dismiss_url(flagged_pm), dismiss_data(flagged_pm, next=f"/postmortems/{flagged_pm.slug}/"), follow=True
    )
    assert response.redirect_chain[-1] == (f"/postmortems/{flagged_pm.slug}/", 302)
    assert "Finding dismissed" in response.content.decode()
    assert FindingDismissal.objects.filter(postmortem=flagged_pm).exists()


def test_dismiss_never_redirects_to_another_site(author, flagged_pm):
    response = client_for(author).post(dismiss_url(flagged_pm), dismiss_data(flagged_pm, next="https://evil.example/"))
    assert response["Location"] == f"/postmortems/{flagged_pm.slug}/"


def test_dismiss_needs_a_reason_and_keeps_the_input(author, flagged_pm):
    client = client_for(author)
    blank = dismiss_data(flagged_pm, reason="  ")
    response = client.post(dismiss_url(flagged_pm), blank, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    response = client.post(dismiss_url(flagged_pm), dismiss_data(flagged_pm, reason=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say why this phrase should stay" in html and 'value="carelessly"' in html
    assert not FindingDismissal.objects.exists()
    assert not Revision.objects.filter(action="dismissed a language finding").exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"rule": "no-such-rule"}, "rule"),
        ({"location": "section:new-1"}, "location"),
        ({"location": "../../etc"}, "location"),
        ({"text": ""}, "text"),
        ({"text": "x" * 301}, "text"),
        ({"reason": "r" * 2001}, "reason"),
    ],
)
def test_dismiss_rejects_bad_fields(author, flagged_pm, changes, field):
    response = client_for(author).post(
        dismiss_url(flagged_pm), dismiss_data(flagged_pm, **changes), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_structural_findings_can_be_dismissed_too(author, flagged_pm):
    data = dismiss_data(flagged_pm, rule=engine.HIGH_PRIORITY_NO_OWNER, location="action:9", text="Add an alert")
    response = client_for(author).post(dismiss_url(flagged_pm), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 200


def test_dismiss_permission_matrix(reader, author, other_author, facilitator, outsider, flagged_pm, make_postmortem):
    draft = flagged_pm
    published = make_postmortem(authors=[author], status=Status.PUBLISHED)
    published.section = draft.section
    expected = {
        # (draft, published)
        reader: (404, 403),
        other_author: (404, 403),
        outsider: (404, 403),
        author: (200, 200),
        facilitator: (200, 200),
    }
    for user, (on_draft, on_published) in expected.items():
        client = client_for(user)
        for pm, status in ((draft, on_draft), (published, on_published)):
            response = client.post(dismiss_url(pm), dismiss_data(pm), HTTP_ACCEPT="application/json")
            assert response.status_code == status, (user.username, pm.status)
            if status != 200:
                assert "error" in response.json()
    html_response = client_for(reader).post(dismiss_url(published), dismiss_data(published))
    assert html_response.status_code == 403


def test_dismiss_anonymous_and_wrong_method(author, flagged_pm):
    anonymous = client_for(None)
    response = anonymous.post(dismiss_url(flagged_pm), dismiss_data(flagged_pm), HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    response = anonymous.post(dismiss_url(flagged_pm), dismiss_data(flagged_pm))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert anonymous.get(dismiss_url(flagged_pm)).status_code == 302
    assert client_for(author).get(dismiss_url(flagged_pm)).status_code == 405
    assert not FindingDismissal.objects.exists()


# --- GET /coach/trends/ -----------------------------------------------------------------------------


def finding(pm, category="blame", text="careless", when=None, rule="careless", location="section:1"):
    row = LanguageFinding.objects.create(postmortem=pm, rule_slug=rule, category=category, location=location,
                                         text=text)
    if when:
        LanguageFinding.objects.filter(pk=row.pk).update(created_at=when)
    return row


def test_only_facilitators_see_the_trends(reader, author, other_author, outsider, facilitator):
    for user in (reader, author, other_author, outsider):
        assert client_for(user).get("/coach/trends/").status_code == 403
    assert client_for(None).get("/coach/trends/").status_code == 302
    assert client_for(facilitator).get("/coach/trends/").status_code == 200
    assert client_for(facilitator).post("/coach/trends/").status_code == 405


def test_trends_count_findings_by_month_and_category_with_links(facilitator, make_postmortem, team):
    now = timezone.now().replace(day=15, hour=12)
    last_month = (now.replace(day=1) - timedelta(days=3)).replace(day=15)
    a = make_postmortem(title="Queue stall")
    b = make_postmortem(title="Cache stampede")
    b.teams.add(team)
    finding(a, "blame", when=now)
    finding(a, "blame", text="sloppy", rule="sloppy", when=now)
    finding(b, "counterfactual", text="should have", rule="should-have", when=now)
    finding(b, "blame", when=last_month)
    FindingDismissal.objects.create(postmortem=a, rule_slug="sloppy", location="section:1", text="sloppy",
                                    reason="Quote.")

    ctx = review.finding_trends(facilitator)
    assert ctx["total"] == 4
    [this_row, last_row] = ctx["table"]
    cells = dict(this_row["cells"])
    assert (this_row["total"], this_row["postmortems"]) == (3, 2)
    assert (cells["blame"]["total"], cells["blame"]["dismissed"]) == (2, 1)
    assert cells["counterfactual"]["total"] == 1 and cells["minimising"]["total"] == 0
    assert (last_row["total"], dict(last_row["cells"])["blame"]["total"]) == (1, 1)
    assert ctx["top_rules"][0] == {"rule_slug": "careless", "total": 2}
    assert review.finding_trends(facilitator, team=team)["total"] == 2

    month = now.strftime("%Y-%m")
    html = client_for(facilitator).get("/coach/trends/").content.decode()
    assert f'href="?month={month}&amp;category=blame#listed"' in html
    assert "Writing trends" in html

    listed = client_for(facilitator).get(f"/coach/trends/?month={month}&category=blame").content.decode()
    assert f'href="/postmortems/{a.slug}/#coach-findings"' in listed
    assert "Kept with a reason" in listed and "Open" in listed
    assert "Cache stampede" not in listed.split('id="listed"')[1]


def test_trends_ignore_bad_filters_with_a_message(facilitator):
    client = client_for(facilitator)
    assert "Months look like" in client.get("/coach/trends/?month=March").content.decode()
    assert "Unknown category" in client.get("/coach/trends/?category=rude").content.decode()
    assert client.get("/coach/trends/?team=nope").status_code == 404


def test_trends_cost_a_constant_number_of_queries(facilitator, make_postmortem, django_assert_max_num_queries):
    client = client_for(facilitator)
    url = f"/coach/trends/?month={timezone.now():%Y-%m}&category=blame"
    pm = make_postmortem()
    finding(pm)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(30):
        finding(make_postmortem(), text=f"careless {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_oversize_text_is_named_by_the_heading_the_author_sees(author):
    client = client_for(author)
    huge = "word " * (coach_views.MAX_TEXT_CHARS // 5 + 1)
    response = post_check(client, one_text(text=huge, location="section:112", label="What happened"))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error.startswith("“What happened” has ") and "section:112" not in error
    # Without a usable label the position is still given, never an empty name.
    response = post_check(client, one_text(text=huge, location="section:112", label="  "))
    assert response.json()["error"].startswith("Text 1 (section:112) has ")
