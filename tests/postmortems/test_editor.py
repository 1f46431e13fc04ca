"""The editor: saves merge with what others saved meanwhile, conflicts are shown side by side, nothing
typed is lost, and a save that changes nothing records nothing."""

import copy
from datetime import UTC, datetime

import pytest

from postmortems import services
from postmortems.models import Revision, Status, Template
from tests.postmortems.editor_support import add_rows, editor_form, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(author):
    pm = services.postmortem_create(
        user=author, template=Template.objects.get(slug="standard"), title="Checkout timeouts", severity="sev2",
        started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )
    doc = services.document_of(pm)
    doc["timeline"] = [
        {"id": None, "when": "2024-03-01T14:05:00+00:00", "kind": "detection",
         "description": "Latency alert paged the on-call engineer.", "evidence_url": ""},
        {"id": None, "when": "2024-03-01T14:20:00+00:00", "kind": "action",
         "description": "Rolled back the config change.", "evidence_url": ""},
    ]
    services.postmortem_save(postmortem=pm, user=author, base_version=pm.version, document=doc)
    return pm


def body_field(pm, heading):
    index = list(pm.sections.values_list("heading", flat=True)).index(heading)
    return f"sections-{index}-body"


def body(pm, heading):
    return pm.sections.get(heading=heading).body


def post(client, pm, data, **headers):
    return client.post(f"/postmortems/{pm.slug}/edit/", data, **headers)


# ---- the reported scenario: two tabs ------------------------------------------------------------


def test_two_tabs_changing_different_sections_both_keep_their_change(client, author, draft):
    client.force_login(author)
    tab_a, tab_b = editor_form(client, draft.slug), editor_form(client, draft.slug)
    tab_a[body_field(draft, "Summary")] = "A's summary."
    assert post(client, draft, tab_a).status_code == 302
    tab_b[body_field(draft, "Impact")] = "B's impact."
    response = post(client, draft, tab_b)
    assert response.status_code == 302
    assert body(draft, "Summary") == "A's summary." and body(draft, "Impact") == "B's impact."
    # B presses Save again with the same (stale) form: A's change must survive.
    assert post(client, draft, tab_b).status_code == 302
    assert body(draft, "Summary") == "A's summary." and body(draft, "Impact") == "B's impact."


def test_two_tabs_changing_the_same_section_get_a_conflict_not_a_silent_revert(client, author, draft):
    client.force_login(author)
    tab_a, tab_b = editor_form(client, draft.slug), editor_form(client, draft.slug)
    tab_a[body_field(draft, "Summary")] = "A's summary."
    assert post(client, draft, tab_a).status_code == 302
    version_after_a = Revision.objects.filter(postmortem=draft).count()
    tab_b[body_field(draft, "Summary")] = "B's summary."
    tab_b[body_field(draft, "Impact")] = "B's impact."
    response = post(client, draft, tab_b)
    assert response.status_code == 409
    content = response.content.decode()
    assert "Someone saved this post-mortem while you were editing" in content
    assert "A&#x27;s summary." in content and "B&#x27;s summary." in content  # side by side
    assert "Keep mine" in content and "Keep theirs" in content
    # Nothing was written; the form carries the current version and the conflict's key.
    assert body(draft, "Summary") == "A's summary." and body(draft, "Impact") == ""
    assert Revision.objects.filter(postmortem=draft).count() == version_after_a
    shown = form_data(content)
    draft.refresh_from_db()
    assert shown["version"] == str(draft.version)
    section_id = draft.sections.get(heading="Summary").pk
    assert shown["conflicts"] == f"sections:{section_id}:body"
    assert shown[body_field(draft, "Summary")] == "B's summary."  # mine, in the field
    assert shown[body_field(draft, "Impact")] == "B's impact."  # merged, kept

    # Saving again without choosing is refused, and everything stays in the form.
    response = post(client, draft, shown)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Choose “keep mine”, “keep theirs” or “edit”" in content and "B&#x27;s impact." in content
    assert body(draft, "Summary") == "A's summary."

    # Keeping theirs keeps A's text and saves the rest of B's.
    shown[f"resolve:sections:{section_id}:body"] = "theirs"
    assert post(client, draft, shown).status_code == 302
    assert body(draft, "Summary") == "A's summary." and body(draft, "Impact") == "B's impact."


def test_keep_mine_and_edit_save_what_is_in_the_field(client, author, draft):
    client.force_login(author)
    tab_a, tab_b = editor_form(client, draft.slug), editor_form(client, draft.slug)
    tab_a["title"] = "Title by A"
    post(client, draft, tab_a)
    tab_b["title"] = "Title by B"
    shown = form_data(post(client, draft, tab_b).content.decode())
    assert shown["title"] == "Title by B" and shown["conflicts"] == "title"
    shown["resolve:title"] = "mine"
    assert post(client, draft, shown).status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Title by B"

    tab_c = editor_form(client, draft.slug)
    tab_a = editor_form(client, draft.slug)
    tab_a["title"] = "Title by A again"
    post(client, draft, tab_a)
    tab_c["title"] = "Title by C"
    shown = form_data(post(client, draft, tab_c).content.decode())
    shown["resolve:title"], shown["title"] = "edit", "Title by A and C"
    assert post(client, draft, shown).status_code == 302
    draft.refresh_from_db()
    assert draft.title == "Title by A and C"


def test_a_row_removed_in_one_tab_is_not_brought_back_by_another(client, author, draft):
    client.force_login(author)
    tab_a, tab_b = editor_form(client, draft.slug), editor_form(client, draft.slug)
    tab_a["events-0-DELETE"] = "on"
    assert post(client, draft, tab_a).status_code == 302
    tab_b["title"] = "Checkout timeouts after a config change"
    assert post(client, draft, tab_b).status_code == 302
    assert list(draft.timeline_events.values_list("description", flat=True)) == ["Rolled back the config change."]
    draft.refresh_from_db()
    assert draft.title == "Checkout timeouts after a config change"


def test_a_row_added_in_one_tab_is_not_dropped_by_another(client, author, draft):
    client.force_login(author)
    tab_a, tab_b = editor_form(client, draft.slug), editor_form(client, draft.slug)
    tab_a = add_rows(tab_a, "events", [{"occurred_at": "2024-03-01T14:40", "kind": "resolution",
                                        "description": "Error rate back to normal."}])
    assert post(client, draft, tab_a).status_code == 302
    tab_b = add_rows(tab_b, "events", [{"occurred_at": "2024-03-01T14:30", "kind": "mitigation",
                                        "description": "Traffic moved to the second region."}])
    assert post(client, draft, tab_b).status_code == 302
    assert draft.timeline_events.count() == 4


def test_a_row_removed_in_one_tab_and_changed_in_another_is_a_conflict(client, author, draft):
    client.force_login(author)
    tab_a, tab_b = editor_form(client, draft.slug), editor_form(client, draft.slug)
    tab_a["events-1-DELETE"] = "on"
    post(client, draft, tab_a)
    tab_b["events-1-description"] = "Rolled back the config change at 14:20."
    response = post(client, draft, tab_b)
    assert response.status_code == 409
    content = response.content.decode()
    assert "someone else removed this while you changed it" in content
    shown = form_data(content)
    key = shown["conflicts"]
    assert key.startswith("timeline:")
    shown[f"resolve:{key}"] = "mine"
    assert post(client, draft, shown).status_code == 302
    assert "Rolled back the config change at 14:20." in draft.timeline_events.values_list("description", flat=True)


# ---- saving nothing, submitting once ------------------------------------------------------------


def test_a_save_that_changes_nothing_records_nothing(client, author, draft):
    client.force_login(author)
    draft.refresh_from_db()
    version, revisions = draft.version, draft.revisions.count()
    response = post(client, draft, editor_form(client, draft.slug), follow=True)
    assert "No changes to save." in response.content.decode()
    draft.refresh_from_db()
    assert draft.version == version and draft.revisions.count() == revisions


def test_a_save_a_stale_tab_repeats_records_nothing(client, author, draft):
    client.force_login(author)
    tab = editor_form(client, draft.slug)
    tab["summary"] = "Checkout requests timed out."
    post(client, draft, tab)
    count = draft.revisions.count()
    post(client, draft, tab)  # the same form again (a second click, a reload that re-posts)
    assert draft.revisions.count() == count


def test_save_and_submit_records_one_revision(client, author, draft):
    client.force_login(author)
    data = editor_form(client, draft.slug)
    for index, section in enumerate(draft.sections.all()):
        if section.required:
            data[f"sections-{index}-body"] = f"{section.heading}: written."
    before = draft.revisions.count()
    data["submit_for_review"] = "1"
    response = post(client, draft, data)
    assert response.status_code == 302 and response["Location"] == f"/postmortems/{draft.slug}/"
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    assert list(draft.revisions.values_list("action", flat=True)[: draft.revisions.count() - before]) == [
        "submitted for review"]


def test_submit_with_required_sections_empty_keeps_the_text(client, author, draft):
    client.force_login(author)
    data = editor_form(client, draft.slug)
    data["summary"] = "Typed, not yet saved."
    data["submit_for_review"] = "1"
    response = post(client, draft, data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Write the required sections before submitting" in content and "Typed, not yet saved." in content
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.summary == ""


def test_submitting_twice_at_once_records_one_revision(author, draft):
    from postmortems.models import PostMortem

    draft.sections.filter(required=True).update(body="Written.")
    services.postmortem_record_change(postmortem=draft, user=author)
    first, second = PostMortem.objects.get(pk=draft.pk), PostMortem.objects.get(pk=draft.pk)  # two tabs
    services.postmortem_submit_for_review(postmortem=first, user=author)
    with pytest.raises(services.ValidationError):
        services.postmortem_submit_for_review(postmortem=second, user=author)
    assert draft.revisions.filter(action="submitted for review").count() == 1


# ---- bad input -----------------------------------------------------------------------------------


def test_an_extra_section_row_is_ignored_not_a_server_error(client, author, draft):
    client.force_login(author)
    sections = draft.sections.count()
    data = editor_form(client, draft.slug)
    data["sections-TOTAL_FORMS"] = str(int(data["sections-TOTAL_FORMS"]) + 1)
    data[body_field(draft, "Summary")] = "Still saved."
    response = post(client, draft, data)
    assert response.status_code == 302
    assert body(draft, "Summary") == "Still saved." and draft.sections.count() == sections


def test_a_section_of_another_postmortem_cannot_be_written(client, author, draft, make_postmortem):
    other = make_postmortem()
    from postmortems.models import Section

    foreign = Section.objects.create(postmortem=other, heading="Theirs", body="Untouched.")
    client.force_login(author)
    data = editor_form(client, draft.slug)
    total = int(data["sections-TOTAL_FORMS"])
    data.update({"sections-TOTAL_FORMS": str(total + 1), f"sections-{total}-id": str(foreign.pk),
                 f"sections-{total}-body": "Overwritten?"})
    assert post(client, draft, data).status_code == 302
    foreign.refresh_from_db()
    assert foreign.body == "Untouched."


def test_too_many_rows_are_refused_with_a_message(client, author, draft):
    client.force_login(author)
    data = editor_form(client, draft.slug)
    data["events-TOTAL_FORMS"] = "100000"
    response = post(client, draft, data)
    assert response.status_code == 400
    assert "At most 3000 rows can be saved here at once." in response.content.decode()


def test_the_editor_answers_fetch_with_where_to_go(client, author, draft):
    client.force_login(author)
    data = editor_form(client, draft.slug)
    data["summary"] = "Saved through fetch."
    response = post(client, draft, data, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200 and response.json() == {"redirect": f"/postmortems/{draft.slug}/edit/"}
    assert "Saved." in client.get(f"/postmortems/{draft.slug}/edit/").content.decode()


def test_the_send_back_comment_is_shown_in_the_editor(client, author, facilitator, draft):
    draft.sections.filter(required=True).update(body="Written.")
    services.postmortem_record_change(postmortem=draft, user=author)
    services.postmortem_submit_for_review(postmortem=draft, user=author)
    services.postmortem_send_back(postmortem=draft, user=facilitator, comment="Say how the alert was tuned.")
    client.force_login(author)
    content = client.get(f"/postmortems/{draft.slug}/edit/").content.decode()
    assert "Sent back by Fiona Facilitator" in content and "Say how the alert was tuned." in content


# ---- the service, directly -----------------------------------------------------------------------


def test_service_merges_against_the_revision_the_editor_loaded(author, draft):
    draft.refresh_from_db()
    loaded_version, loaded = draft.version, services.document_of(draft)
    theirs = copy.deepcopy(loaded)
    theirs["severity"] = "sev1"
    services.postmortem_save(postmortem=draft, user=author, base_version=loaded_version, document=theirs)
    mine = copy.deepcopy(loaded)
    mine["summary"] = "Mine."
    result = services.postmortem_save(postmortem=draft, user=author, base_version=loaded_version, document=mine)
    draft.refresh_from_db()
    assert (draft.severity, draft.summary) == ("sev1", "Mine.")
    assert result.version == loaded_version + 2 and result.revision.snapshot["severity"] == "sev1"


def test_service_refuses_unanswered_conflicts(author, draft):
    draft.refresh_from_db()
    with pytest.raises(services.UnresolvedConflicts):
        services.postmortem_save(postmortem=draft, user=author, base_version=draft.version,
                                 document=services.document_of(draft), resolutions={"title": None})


def test_snapshots_carry_row_ids(author, draft):
    snapshot = draft.revisions.first().snapshot
    assert [row["id"] for row in snapshot["timeline"]] == list(draft.timeline_events.values_list("pk", flat=True))
    assert all("id" in s for s in snapshot["sections"])


def test_a_base_from_before_row_ids_still_merges(author, draft):
    draft.refresh_from_db()
    loaded = services.document_of(draft)
    revision = draft.revisions.first()
    old = copy.deepcopy(revision.snapshot)
    for row in old["timeline"]:
        del row["id"]
    Revision.objects.filter(pk=revision.pk).update(snapshot=old)
    mine = copy.deepcopy(loaded)
    mine["timeline"][0]["description"] = "Latency alert paged the on-call engineer at 14:05."
    services.postmortem_save(postmortem=draft, user=author, base_version=draft.version, document=mine)
    assert draft.timeline_events.first().description.endswith("at 14:05.")


def test_an_owner_or_author_outside_the_roles_is_kept_on_save(client, author, reader, draft):
    doc = services.document_of(draft)
    doc["authors"] = sorted(["arthur", "rita"])  # a reader credited as an author
    doc["action_items"] = [{"id": None, "title": "Check the cache TTL", "description": "", "kind": "detect",
                            "priority": "low", "owner": "rita", "due_date": None, "status": "open",
                            "wont_do_reason": "", "tracker_url": ""}]
    draft.refresh_from_db()
    services.postmortem_save(postmortem=draft, user=author, base_version=draft.version, document=doc)
    client.force_login(author)
    data = editor_form(client, draft.slug)
    data["summary"] = "Changed something else."
    assert post(client, draft, data).status_code == 302
    assert draft.action_items.get().owner == reader
    assert sorted(draft.authors.values_list("username", flat=True)) == ["arthur", "rita"]
