"""The post-mortem change and add forms save through the editor's service: one revision per save, the
section layout and facilitator included, a stale save refused with everything typed kept."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry

from knowledge.models import SearchDocument
from postmortems import services
from postmortems.models import LanguageFinding, PostMortem, Section, Template, TimelineEvent
from tests.postmortems.admin_support import PM_LIST, form_data, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, facilitator):
    client.force_login(facilitator)
    return client


@pytest.fixture
def draft(make_postmortem, author):
    pm = make_postmortem(title="Cache flush", authors=[author])
    Section.objects.create(postmortem=pm, position=1, heading="Summary", body="It broke.", kind="summary",
                           required=True, guidance="Two sentences.")
    Section.objects.create(postmortem=pm, position=2, heading="Notes", body="Scratch.")
    TimelineEvent.objects.create(postmortem=pm, occurred_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
                                 description="Alert fired.")
    return pm


def change_url(pm):
    return f"{PM_LIST}{pm.pk}/change/"


def opened(desk, pm):
    response = desk.get(change_url(pm))
    assert response.status_code == 200
    return form_data(response, "postmortem_form")


def add_section(data, pm, **fields):
    n = int(data["sections-TOTAL_FORMS"][0])
    data["sections-TOTAL_FORMS"] = [str(n + 1)]
    row = {"id": "", "postmortem": str(pm.pk), "position": "0", "kind": "narrative", "guidance": "", "body": "",
           **fields}
    data.update({f"sections-{n}-{key}": [value] for key, value in row.items()})


def test_the_change_form_saves_layout_and_added_and_removed_sections_in_one_revision(desk, facilitator, draft):
    data = opened(desk, draft)
    data.update({"sections-0-kind": ["impact"], "sections-0-guidance": ["Who noticed, and how?"],
                 "sections-0-position": ["4"], "sections-0-body": ["The on-call engineer carelessly restarted it."],
                 "sections-1-DELETE": ["on"], "facilitator": [str(facilitator.pk)]})
    del data["sections-0-required"]
    add_section(data, draft, heading="Follow-up", body="Watch the hit ratio.", position="3", required="on")
    response = desk.post(change_url(draft), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    rows = list(draft.sections.values_list("heading", "kind", "guidance", "required", "position", "body"))
    assert rows == [("Follow-up", "narrative", "", True, 3, "Watch the hit ratio."),
                    ("Summary", "impact", "Who noticed, and how?", False, 4,
                     "The on-call engineer carelessly restarted it.")]
    draft.refresh_from_db()
    assert draft.facilitator == facilitator
    revision = draft.revisions.get()
    assert (revision.action, revision.user, revision.version) == ("edited in admin", facilitator, draft.version)
    assert [s["heading"] for s in revision.snapshot["sections"]] == ["Follow-up", "Summary"]
    # The service's side effects: the search entry and the coach's findings follow the save.
    assert "hit ratio" in SearchDocument.objects.get(pk=draft.pk).body
    assert LanguageFinding.objects.filter(postmortem=draft).exists()
    # Django's own history of the change still names the inline rows.
    message = LogEntry.objects.get(object_id=str(draft.pk)).get_change_message()
    assert "Added section “Follow-up”" in message and "Deleted section “Notes”" in message


def test_the_change_form_removes_and_edits_timeline_rows_through_the_service(desk, draft):
    data = opened(desk, draft)
    data["timeline_events-0-DELETE"] = ["on"]
    data["title"] = ["Cache flush at peak"]
    assert desk.post(change_url(draft), data).status_code == 302
    assert not draft.timeline_events.exists()
    snapshot = draft.revisions.get().snapshot
    assert (snapshot["title"], snapshot["timeline"]) == ("Cache flush at peak", [])


def test_saving_an_unchanged_form_records_no_revision_and_says_so(desk, draft):
    version = draft.version
    response = desk.post(change_url(draft), opened(desk, draft), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["Nothing had changed, so no revision was recorded."]
    draft.refresh_from_db()
    assert (draft.version, draft.revisions.count()) == (version, 0)


def test_a_stale_save_keeps_everything_the_facilitator_typed_and_writes_nothing(desk, author, draft):
    data = opened(desk, draft)
    services.postmortem_save(postmortem=draft, user=author, base_version=draft.version,
                             document={**services.document_of(draft), "summary": "Author's summary"})
    data["sections-0-body"] = ["Typed by the facilitator."]
    data["sections-0-guidance"] = ["Guidance typed by the facilitator."]
    add_section(data, draft, heading="A new heading typed here", body="")
    response = desk.post(change_url(draft), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this post-mortem after you opened it" in html
    for typed in ("Typed by the facilitator.", "Guidance typed by the facilitator.", "A new heading typed here"):
        assert typed in html
    assert list(draft.sections.values_list("body", flat=True)) == ["It broke.", "Scratch."]
    assert draft.revisions.count() == 1  # the author's


def test_a_nul_byte_in_a_section_is_refused_with_a_message_and_nothing_is_written(desk, draft):
    data = opened(desk, draft)
    data["sections-0-body"] = ["Before\x00after"]
    data["title"] = ["Kept title"]
    response = desk.post(change_url(draft), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Null characters are not allowed." in html and 'value="Kept title"' in html
    assert not draft.revisions.exists()
    assert draft.sections.get(heading="Summary").body == "It broke."


def test_the_add_form_keeps_its_own_sections_and_facilitator_in_one_revision(desk, facilitator, author):
    template = Template.objects.get(slug="standard")
    data = form_data(desk.get(f"{PM_LIST}add/"), "postmortem_form")
    data.update(title=["Disk full on the primary"], slug=["disk-full"], template=[str(template.pk)],
                authors=[str(author.pk)], facilitator=[str(facilitator.pk)])
    n = int(data["sections-TOTAL_FORMS"][0])
    data["sections-TOTAL_FORMS"] = [str(n + 1)]
    data.update({f"sections-{n}-{k}": [v] for k, v in {"id": "", "position": "1", "heading": "What happened",
                                                        "kind": "narrative", "guidance": "", "required": "on",
                                                        "body": "The disk filled."}.items()})
    response = desk.post(f"{PM_LIST}add/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    pm = PostMortem.objects.get(slug="disk-full")
    assert list(pm.sections.values_list("heading", "required", "body")) == [("What happened", True,
                                                                             "The disk filled.")]
    assert (pm.facilitator, list(pm.authors.all()), pm.status) == (facilitator, [author], "draft")
    revision = pm.revisions.get()
    assert (revision.action, revision.user, revision.version, pm.version) == (
        "created in admin", facilitator, 1, 1)
    assert SearchDocument.objects.filter(pk=pm.pk).exists()


def test_a_published_post_mortem_stays_read_only_on_the_desk(desk, draft):
    PostMortem.objects.filter(pk=draft.pk).update(status="published")
    data = opened(desk, draft)
    data["title"] = ["Changed"]
    desk.post(change_url(draft), data)
    draft.refresh_from_db()
    assert draft.title == "Cache flush" and not draft.revisions.exists()
