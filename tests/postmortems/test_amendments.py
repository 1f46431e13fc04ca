"""Published post-mortems change only through review: amendments, in the editor, the services, the
review page, the admin and the importer."""

import copy
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from postmortems import services
from postmortems.coach import checks
from postmortems.models import (
    ActionItem,
    Amendment,
    AmendmentStatus,
    FindingDismissal,
    LanguageFinding,
    Revision,
    Status,
    Template,
)
from tests.postmortems.editor_support import add_rows, editor_form, form_data

pytestmark = pytest.mark.django_db

BLAME = "Bob forgot to run the migration, human error."
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
def published(author, facilitator):
    pm = services.postmortem_create(
        user=author, template=Template.objects.get(slug="lightweight"), title="Orders migration lock",
        severity="sev2", started_at=datetime(2024, 2, 1, 9, 0, tzinfo=UTC),
    )
    doc = services.document_of(pm)
    for section in doc["sections"]:
        section["body"] = f"{section['heading']}: the migration held a lock on the orders table."
    doc["action_items"] = [{"id": None, "title": "Run long migrations in the quiet window", "description": "",
                            "kind": "process", "priority": "medium", "owner": "arthur", "due_date": "2024-03-01",
                            "status": "open", "wont_do_reason": "", "tracker_url": ""}]
    services.postmortem_save(postmortem=pm, user=author, base_version=pm.version, document=doc, submit=True)
    services.postmortem_publish(postmortem=pm, user=facilitator)
    pm.refresh_from_db()
    return pm


def story_field(pm, data):
    """Return the form name of the "What happened" section's body."""
    index = list(pm.sections.values_list("heading", flat=True)).index("What happened")
    return f"sections-{index}-body"


def story(pm):
    return pm.sections.get(heading="What happened").body


def amend(client, pm, text, **more):
    data = editor_form(client, pm.slug)
    data[story_field(pm, data)] = text
    data.update(more)
    return client.post(f"/postmortems/{pm.slug}/edit/", data)


# ---- the reported scenario -------------------------------------------------------------------------


def test_an_amendment_waits_for_review_and_the_coach_before_readers_see_it(
        client, author, reader, facilitator, published):
    published_text = story(published)
    client.force_login(author)
    assert "Changes to a published post-mortem go into an amendment" in client.get(
        f"/postmortems/{published.slug}/edit/").content.decode()
    response = amend(client, published, f"{published_text}\n\n{BLAME}")
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.status == Status.PUBLISHED and story(published) == published_text

    # Readers keep seeing the published text.
    client.force_login(reader)
    page = client.get(f"/postmortems/{published.slug}/").content.decode()
    assert "Bob forgot" not in page
    assert client.get(f"/postmortems/{published.slug}/amendment/").status_code == 403

    # The author submits it: it waits in the facilitator's queue with its diff.
    client.force_login(author)
    response = client.post(f"/postmortems/{published.slug}/submit/")
    assert response.status_code == 302 and response["Location"] == f"/postmortems/{published.slug}/amendment/"
    client.force_login(facilitator)
    assert "Orders migration lock" in client.get("/").content.decode()
    review = client.get(f"/postmortems/{published.slug}/amendment/").content.decode()
    assert "<ins>" in review and "Bob forgot" in review and "<mark>human error</mark>" in review

    # The coach gate holds, exactly as for a first publication.
    response = client.post(f"/postmortems/{published.slug}/publish/", follow=True)
    assert "language findings are still open" in response.content.decode()
    assert story(published) == published_text and Amendment.objects.get().status == AmendmentStatus.IN_REVIEW

    # The author rewrites the sentence; the facilitator publishes.
    client.force_login(author)
    fixed = f"{published_text}\n\nThe migration step was not in the deploy checklist."
    assert amend(client, published, fixed).status_code == 302
    client.force_login(facilitator)
    response = client.post(f"/postmortems/{published.slug}/publish/", follow=True)
    assert "Published: the amendment is now the text readers see." in response.content.decode()
    published.refresh_from_db()
    assert story(published) == fixed and published.facilitator == facilitator

    client.force_login(reader)
    page = client.get(f"/postmortems/{published.slug}/").content.decode()
    revision = Revision.objects.get(postmortem=published, action="amendment published")
    assert "Facilitated by" in page and "Fiona Facilitator" in page
    assert f'href="/postmortems/{published.slug}/history/?version={revision.version}">Amended on' in page
    assert revision.snapshot["status"] == "published"


def test_amendment_revisions_never_look_published(client, author, facilitator, published):
    client.force_login(author)
    amend(client, published, "One.")
    amend(client, published, "Two.", submit_for_review="1")
    services.amendment_send_back(postmortem=published, user=facilitator, comment="Say more.")
    amend(client, published, "Three.")
    statuses = list(Revision.objects.filter(amendment__isnull=False).values_list("action", "snapshot__status"))
    assert statuses == [
        ("amendment edited", "draft"), ("amendment sent back", "draft"),
        ("amendment submitted for review", "in_review"), ("amendment started", "draft"),
    ]


def test_facilitated_by_is_set_on_first_publication(author, facilitator):
    pm = services.postmortem_create(user=author, template=Template.objects.get(slug="lightweight"), title="X",
                                    severity="sev3", started_at=datetime(2024, 1, 1, tzinfo=UTC))
    pm.sections.update(body="Written.")
    services.postmortem_record_change(postmortem=pm, user=author)
    services.postmortem_submit_for_review(postmortem=pm, user=author)
    services.postmortem_publish(postmortem=pm, user=facilitator)
    pm.refresh_from_db()
    assert pm.facilitator == facilitator


# ---- who may see and do what -----------------------------------------------------------------------

REVIEW_PAGE = {"anonymous": 302, "outsider": 403, "reader": 403, "author": 200, "other_author": 403,
               "facilitator": 200}
REVIEW_PAGE_RESTRICTED = {**REVIEW_PAGE, "outsider": 404, "reader": 404, "other_author": 404}
DISCARD = {"anonymous": 302, "outsider": 403, "reader": 403, "author": 302, "other_author": 403,
           "facilitator": 302}


@pytest.fixture
def amended(published, author):
    doc = services.document_of(published)
    doc["summary"] = "Orders were locked for eight minutes."
    services.postmortem_save(postmortem=published, user=author, base_version=published.version, document=doc)
    return published


@pytest.mark.parametrize("role", ROLES)
def test_review_page_role_matrix(client, users, amended, role):
    response = client_for(client, users, role).get(f"/postmortems/{amended.slug}/amendment/")
    assert response.status_code == REVIEW_PAGE[role]
    if response.status_code == 200:
        assert "Orders were locked for eight minutes." in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_review_page_of_a_restricted_postmortem(client, users, amended, role):
    services.postmortem_set_restricted(postmortem=amended, user=users["facilitator"], restricted=True)
    response = client_for(client, users, role).get(f"/postmortems/{amended.slug}/amendment/")
    assert response.status_code == REVIEW_PAGE_RESTRICTED[role]


def test_review_page_without_an_amendment_is_404(client, author, published):
    client.force_login(author)
    assert client.get(f"/postmortems/{published.slug}/amendment/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_review_page_is_read_only(client, author, amended, method):
    client.force_login(author)
    assert getattr(client, method)(f"/postmortems/{amended.slug}/amendment/").status_code == 405


@pytest.mark.parametrize("role", ROLES)
def test_discard_role_matrix(client, users, amended, role):
    response = client_for(client, users, role).post(f"/postmortems/{amended.slug}/amendment/discard/")
    assert response.status_code == DISCARD[role]
    discarded = Amendment.objects.get().status == AmendmentStatus.DISCARDED
    assert discarded == (role in ("author", "facilitator"))


@pytest.mark.parametrize("role", ["reader", "outsider", "other_author"])
def test_discard_of_a_restricted_postmortem_is_404(client, users, amended, role):
    services.postmortem_set_restricted(postmortem=amended, user=users["facilitator"], restricted=True)
    assert client_for(client, users, role).post(f"/postmortems/{amended.slug}/amendment/discard/").status_code == 404


def test_discard_needs_post(client, author, amended):
    client.force_login(author)
    assert client.get(f"/postmortems/{amended.slug}/amendment/discard/").status_code == 405


@pytest.mark.parametrize("role,expected", [("reader", 403), ("other_author", 403), ("author", 302),
                                           ("facilitator", 302)])
def test_submitting_an_amendment(client, users, amended, role, expected):
    assert client_for(client, users, role).post(f"/postmortems/{amended.slug}/submit/").status_code == expected
    submitted = Amendment.objects.get().status == AmendmentStatus.IN_REVIEW
    assert submitted == (expected == 302)


@pytest.mark.parametrize("role,expected", [("reader", 403), ("other_author", 403), ("author", 403),
                                           ("facilitator", 302)])
def test_only_facilitators_publish_amendments(client, users, amended, author, role, expected):
    services.amendment_submit(postmortem=amended, user=author)
    assert client_for(client, users, role).post(f"/postmortems/{amended.slug}/publish/").status_code == expected
    amended.refresh_from_db()
    assert (amended.summary == "Orders were locked for eight minutes.") == (role == "facilitator")


@pytest.mark.parametrize("role,expected", [("reader", 403), ("author", 403), ("facilitator", 302)])
def test_only_facilitators_send_amendments_back(client, users, amended, author, role, expected):
    services.amendment_submit(postmortem=amended, user=author)
    response = client_for(client, users, role).post(f"/postmortems/{amended.slug}/send-back/",
                                                    {"comment": "Name the lock."})
    assert response.status_code == expected


def test_send_back_needs_a_comment_and_the_author_sees_it_in_the_editor(client, author, facilitator, amended):
    services.amendment_submit(postmortem=amended, user=author)
    client.force_login(facilitator)
    assert client.post(f"/postmortems/{amended.slug}/send-back/", {"comment": " "}).status_code == 200
    assert Amendment.objects.get().status == AmendmentStatus.IN_REVIEW
    client.post(f"/postmortems/{amended.slug}/send-back/", {"comment": "Say which table was locked."})
    assert Amendment.objects.get().status == AmendmentStatus.DRAFT
    client.force_login(author)
    editor = client.get(f"/postmortems/{amended.slug}/edit/").content.decode()
    assert "Sent back by Fiona Facilitator" in editor and "Say which table was locked." in editor
    assert "Say which table was locked." in client.get(f"/postmortems/{amended.slug}/amendment/").content.decode()


# ---- the services ----------------------------------------------------------------------------------


def test_the_editor_edits_the_amendment_not_the_published_rows(client, author, amended):
    client.force_login(author)
    shown = form_data(client.get(f"/postmortems/{amended.slug}/edit/").content.decode())
    assert shown["summary"] == "Orders were locked for eight minutes."
    assert shown["amendment"] == str(Amendment.objects.get().pk)
    amended.refresh_from_db()
    assert amended.summary == ""


def test_a_save_that_changes_nothing_starts_no_amendment(client, author, published):
    client.force_login(author)
    version = published.version
    assert client.post(f"/postmortems/{published.slug}/edit/", editor_form(client, published.slug)).status_code == 302
    assert not Amendment.objects.exists()
    published.refresh_from_db()
    assert published.version == version


def test_two_tabs_one_on_the_published_text_one_on_the_amendment_merge(client, author, other_author, published):
    client.force_login(author)
    tab_a, tab_b = editor_form(client, published.slug), editor_form(client, published.slug)
    tab_a["summary"] = "A's summary."
    client.post(f"/postmortems/{published.slug}/edit/", tab_a)  # starts the amendment
    tab_b[story_field(published, tab_b)] = "B's story."
    assert client.post(f"/postmortems/{published.slug}/edit/", tab_b).status_code == 302  # loaded the published text
    document = Amendment.objects.get().document
    assert document["summary"] == "A's summary."
    assert next(s for s in document["sections"] if s["heading"] == "What happened")["body"] == "B's story."


def test_new_rows_carry_negative_ids_and_their_kept_phrases_follow_them_at_publish(
        client, author, facilitator, published):
    client.force_login(author)
    data = add_rows(editor_form(client, published.slug), "events", [
        {"occurred_at": "2024-02-01 09:05", "kind": "observation",
         "description": "The on-call engineer said it was a human error in the runbook."}])
    client.post(f"/postmortems/{published.slug}/edit/", data)
    event = Amendment.objects.get().document["timeline"][0]
    assert event["id"] < 0
    finding = LanguageFinding.objects.get(postmortem=published, location=f"timeline:{event['id']}")
    response = client.post(f"/postmortems/{published.slug}/findings/dismiss/", {
        "rule": finding.rule_slug, "location": finding.location, "text": finding.text,
        "reason": "Quoted from the runbook's title."})
    assert response.status_code == 302
    assert Revision.objects.filter(action="dismissed a language finding").get().snapshot["status"] == "draft"
    services.amendment_submit(postmortem=published, user=author)
    services.amendment_publish(postmortem=published, user=facilitator)
    real = published.timeline_events.get()
    assert FindingDismissal.objects.get().location == f"timeline:{real.pk}"
    assert checks.open_finding_count(published) == 0


def test_action_item_status_changed_meanwhile_survives_publishing(author, facilitator, amended):
    item = amended.action_items.get()
    services.action_item_set_status(action_item=item, user=author, status="done")
    assert Revision.objects.filter(action="action item updated").get().snapshot["status"] == "published"
    services.amendment_submit(postmortem=amended, user=author)
    services.amendment_publish(postmortem=amended, user=facilitator)
    item.refresh_from_db()
    amended.refresh_from_db()
    assert item.status == "done" and amended.summary == "Orders were locked for eight minutes."


def test_a_real_conflict_refuses_publishing(author, facilitator, amended):
    item = amended.action_items.get()
    doc = copy.deepcopy(Amendment.objects.get().document)
    doc["action_items"][0]["status"] = "in_progress"
    services.postmortem_save(postmortem=amended, user=author, base_version=amended.version, document=doc)
    services.action_item_set_status(action_item=item, user=author, status="wont_do", reason="Table retired.")
    services.amendment_submit(postmortem=amended, user=author)
    with pytest.raises(ValidationError) as refused:
        services.amendment_publish(postmortem=amended, user=facilitator)
    assert "Action item “Run long migrations in the quiet window” (status)" in refused.value.messages[0]
    amended.refresh_from_db()
    assert amended.summary == "" and Amendment.objects.get().status == AmendmentStatus.IN_REVIEW


def test_restricting_takes_effect_at_once_not_through_the_amendment(client, author, facilitator, amended):
    client.force_login(facilitator)
    data = editor_form(client, amended.slug)
    data["restricted"] = "on"
    client.post(f"/postmortems/{amended.slug}/edit/", data)
    amended.refresh_from_db()
    assert amended.restricted and amended.summary == ""


def test_discarding_keeps_the_published_text_and_forgets_the_amendment(client, author, amended):
    services.amendment_discard(postmortem=amended, user=author)
    amended.refresh_from_db()
    assert amended.summary == "" and services.pending_amendment(amended) is None
    client.force_login(author)
    assert form_data(client.get(f"/postmortems/{amended.slug}/edit/").content.decode())["summary"] == ""
    assert Revision.objects.filter(action="amendment discarded").get().snapshot["status"] == "discarded"


def test_only_a_draft_amendment_is_discarded(author, amended):
    services.amendment_submit(postmortem=amended, user=author)
    with pytest.raises(ValidationError):
        services.amendment_discard(postmortem=amended, user=author)


def test_authors_cannot_publish_or_send_back_through_the_services(author, amended):
    services.amendment_submit(postmortem=amended, user=author)
    with pytest.raises(PermissionDenied):
        services.amendment_publish(postmortem=amended, user=author)
    with pytest.raises(PermissionDenied):
        services.amendment_send_back(postmortem=amended, user=author, comment="x")


def test_submitting_from_the_editor_records_one_revision(client, author, published):
    client.force_login(author)
    before = published.revisions.count()
    response = amend(client, published, "Rewritten.", submit_for_review="1")
    assert response.status_code == 302 and response["Location"] == f"/postmortems/{published.slug}/amendment/"
    assert published.revisions.count() == before + 1
    assert Amendment.objects.get().status == AmendmentStatus.IN_REVIEW


def test_one_pending_amendment_at_a_time(author, amended):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Amendment.objects.create(postmortem=amended, base_version=1)


def test_action_items_of_published_postmortems_are_not_touched_by_amending(client, author, amended):
    before = list(ActionItem.objects.values_list("pk", "title"))
    client.force_login(author)
    data = editor_form(client, amended.slug)
    data["actions-0-title"] = "Run long migrations at night"
    client.post(f"/postmortems/{amended.slug}/edit/", data)
    assert list(ActionItem.objects.values_list("pk", "title")) == before


# ---- the facilitator's desk ------------------------------------------------------------------------


def test_the_admin_shows_a_published_postmortem_read_only_with_a_way_to_amend_it(client, facilitator, published):
    client.force_login(facilitator)
    url = f"/admin/postmortems/postmortem/{published.pk}/change/"
    page = client.get(url).content.decode()
    assert "its text changes only through an amendment" in page
    assert f'href="/postmortems/{published.slug}/edit/">Amend it in the editor' in page
    assert 'name="_save"' not in page
    response = client.post(url, {"title": "Changed in the admin"})
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.title == "Orders migration lock"


def test_the_admin_review_queue_and_actions_work_on_amendments(client, author, facilitator, amended):
    from tests.postmortems.admin_support import act

    services.amendment_submit(postmortem=amended, user=author)
    client.force_login(facilitator)
    assert "1 post-mortem waits for review" in client.get("/admin/").content.decode()
    queue = client.get("/admin/postmortems/postmortem/?queue=review")
    assert list(queue.context["cl"].result_list) == [amended]
    assert "amendment in review" in queue.content.decode()
    page = client.get(f"/admin/postmortems/postmortem/{amended.pk}/change/").content.decode()
    assert 'value="publish"' in page and 'value="send_back"' in page and "see what it changes" in page

    act(client, "/admin/postmortems/postmortem/", "send_back", [amended], apply="Send back", comment="Shorter.")
    assert Amendment.objects.get().status == AmendmentStatus.DRAFT
    services.amendment_submit(postmortem=amended, user=author)
    act(client, "/admin/postmortems/postmortem/", "publish", [amended])
    amended.refresh_from_db()
    assert amended.summary == "Orders were locked for eight minutes." and amended.facilitator == facilitator


def test_the_admin_follows_up_published_action_items_but_does_not_rewrite_them(client, facilitator, published):
    client.force_login(facilitator)
    item = published.action_items.get()
    url = f"/admin/postmortems/actionitem/{item.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="title"' not in page and 'name="status"' in page
    client.post(url, {"title": "Rewritten", "status": "in_progress", "wont_do_reason": "", "tracker_url": "",
                      "owner": "", "due_date": ""})
    item.refresh_from_db()
    assert item.title == "Run long migrations in the quiet window" and item.status == "in_progress"
    response = client.post("/admin/postmortems/actionitem/add/", {
        "postmortem": published.pk, "title": "Sneaked in", "kind": "process", "priority": "low", "status": "open"})
    assert response.status_code == 200 and "through an amendment in the editor" in response.content.decode()
    assert not ActionItem.objects.filter(title="Sneaked in").exists()
