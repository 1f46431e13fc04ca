"""The history page: who reads which versions, and that it answers for every revision and any link.

Readers see published versions only, each compared with the published version before it. Drafts,
review versions (amendments in progress included), their differences and their notes stay with the
post-mortem's authors, its facilitator and facilitators. A hidden version answers exactly like one
that never existed: the newest version the reader may open, with a note.
"""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import services
from postmortems.models import ActionItem, PostMortem, Revision, Status, Template
from tests.factories import make_user

pytestmark = pytest.mark.django_db

BLAMING = "Bob forgot to run the migration"
REFRAMED = "The migration step was not part of the deploy checklist"
SEND_BACK_NOTE = "Name people by their role, please"
AMENDMENT_TEXT = "Carol from the DBA team disagreed"


@pytest.fixture
def pm_facilitator(db):
    """The post-mortem's own facilitator: named on it, an Author by role (not in the Facilitators group)."""
    return make_user("phil", "Authors", first_name="Phil", last_name="Pmfacilitator")


@pytest.fixture
def users(reader, outsider, other_author, author, pm_facilitator, facilitator):
    return {"reader": reader, "outsider": outsider, "other_author": other_author, "author": author,
            "pm_facilitator": pm_facilitator, "facilitator": facilitator}


def _edit(pm, user, body, action="edited"):
    pm.sections.filter(position=pm.sections.first().position).update(body=body)
    pm.refresh_from_db()
    return services.postmortem_record_change(postmortem=pm, user=user, action=action)


def _draft_story(author, facilitator, pm_facilitator, title="Queue backlog"):
    """A post-mortem through review: v1 created, v2 blaming draft, v3 in review, v4 sent back with a note,
    v5 reframed draft, v6 in review again."""
    pm = services.postmortem_create(user=author, template=Template.objects.get(slug="lightweight"), title=title,
                                    severity="sev3", started_at=datetime(2024, 2, 1, 9, 0, tzinfo=UTC))
    PostMortem.objects.filter(pk=pm.pk).update(facilitator=pm_facilitator)
    pm.refresh_from_db()
    pm.sections.update(body="Written.")
    _edit(pm, author, BLAMING)
    services.postmortem_submit_for_review(postmortem=pm, user=author)
    services.postmortem_send_back(postmortem=pm, user=facilitator, comment=SEND_BACK_NOTE)
    _edit(pm, author, REFRAMED)
    services.postmortem_submit_for_review(postmortem=pm, user=author)
    return pm


@pytest.fixture
def in_review(author, facilitator, pm_facilitator):
    return _draft_story(author, facilitator, pm_facilitator)


@pytest.fixture
def draft(author, facilitator, pm_facilitator):
    pm = _draft_story(author, facilitator, pm_facilitator)
    services.postmortem_send_back(postmortem=pm, user=facilitator, comment=SEND_BACK_NOTE + " (again)")
    return pm  # v7: sent back


def _publish(pm, author, facilitator):
    """v7 published, v8 an action item closed (a published version with a note), v9 an amendment being written."""
    named = pm.facilitator
    services.postmortem_publish(postmortem=pm, user=facilitator)
    # Publishing names the publisher as the facilitator; name the post-mortem's own one again.
    PostMortem.objects.filter(pk=pm.pk).update(facilitator=named)
    item = ActionItem.objects.create(postmortem=pm, title="Add the migration to the checklist")
    services.action_item_set_status(action_item=item, user=author, status="done")
    pm.refresh_from_db()
    snapshot = {**services.snapshot(pm), "status": Status.DRAFT}
    snapshot["sections"][0]["body"] = AMENDMENT_TEXT
    Revision.objects.create(postmortem=pm, version=9, user=author, action="amendment edited",
                            comment="Adding what the DBA said", snapshot=snapshot)
    PostMortem.objects.filter(pk=pm.pk).update(version=9)
    pm.refresh_from_db()
    return pm


@pytest.fixture
def published(in_review, author, facilitator):
    return _publish(in_review, author, facilitator)


@pytest.fixture
def restricted(author, facilitator, pm_facilitator):
    pm = _publish(_draft_story(author, facilitator, pm_facilitator, title="Leaked token"), author, facilitator)
    PostMortem.objects.filter(pk=pm.pk).update(restricted=True)
    return pm


EVERY = {"draft": [7, 6, 5, 4, 3, 2, 1], "in_review": [6, 5, 4, 3, 2, 1], "published": [9, 8, 7, 6, 5, 4, 3, 2, 1],
         "restricted": [9, 8, 7, 6, 5, 4, 3, 2, 1]}
WRITERS = ("author", "facilitator")
# What each role may list (None: the post-mortem itself is not found).
VISIBLE = {
    "draft": {"reader": None, "outsider": None, "other_author": None, "pm_facilitator": None},
    "in_review": {"reader": None, "outsider": None, "other_author": None, "pm_facilitator": None},
    "published": {"reader": [8, 7], "outsider": [8, 7], "other_author": [8, 7], "pm_facilitator": EVERY["published"]},
    "restricted": {"reader": None, "outsider": None, "other_author": None, "pm_facilitator": None},
}
ROLES = ["reader", "outsider", "other_author", "author", "pm_facilitator", "facilitator"]
STATES = ["draft", "in_review", "published", "restricted"]


def expected_versions(state, role):
    return EVERY[state] if role in WRITERS else VISIBLE[state][role]


def listed_versions(response):
    return [int(v) for v in re.findall(r'<a href="\?version=(\d+)">', response.content.decode())]


def without_csrf(response):
    """The page, without the per-response CSRF token (a logout form is on every page)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def shown_version(response):
    return int(re.search(r"<h2>Version (\d+):", response.content.decode()).group(1))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_history_lists_only_the_versions_each_role_may_read(client, users, request, state, role):
    pm = request.getfixturevalue(state)
    client.force_login(users[role])
    response = client.get(f"/postmortems/{pm.slug}/history/")
    expected = expected_versions(state, role)
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert listed_versions(response) == expected
    assert shown_version(response) == expected[0]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_each_version_opens_for_those_who_may_read_it_and_no_other(client, users, request, state, role):
    pm = request.getfixturevalue(state)
    client.force_login(users[role])
    expected = expected_versions(state, role)
    never = client.get(f"/postmortems/{pm.slug}/history/?version=999")
    for version in EVERY[state]:
        response = client.get(f"/postmortems/{pm.slug}/history/?version={version}")
        if expected is None:
            assert response.status_code == 404
            continue
        assert response.status_code == 200
        if version in expected:
            assert shown_version(response) == version
            assert "not one you can open" not in response.content.decode()
        else:  # a hidden version answers exactly like one that never was
            assert without_csrf(response) == without_csrf(never)
            assert shown_version(response) == expected[0]
            assert "not one you can open here; this is the newest that is" in response.content.decode()


@pytest.mark.parametrize("role", ["reader", "outsider", "other_author"])
def test_readers_never_see_draft_text_review_notes_or_amendments(client, users, published, role):
    client.force_login(users[role])
    pages = [client.get(f"/postmortems/{published.slug}/history/?version={v}").content.decode()
             for v in [*EVERY["published"], "", "abc"]]
    pages.append(client.get(f"/postmortems/{published.slug}/").content.decode())
    for page in pages:
        assert "Bob" not in page and SEND_BACK_NOTE not in page and "Carol" not in page
        assert "Adding what the DBA said" not in page
        assert REFRAMED in page or "Add the migration" in page


def test_readers_compare_a_published_version_with_the_published_version_before_it(client, reader, published):
    client.force_login(reader)
    newest = client.get(f"/postmortems/{published.slug}/history/?version=8").content.decode()
    assert "compared with version 7" in newest
    assert "Add the migration to the checklist" in newest and "is now done" in newest  # its note
    first = client.get(f"/postmortems/{published.slug}/history/?version=7").content.decode()
    assert "compared with" not in first  # the first published version stands on its own
    assert REFRAMED in first and "<del>" not in first


@pytest.mark.parametrize("role", ["author", "pm_facilitator", "facilitator"])
def test_writers_compare_each_version_with_the_one_before_and_read_the_notes(client, users, published, role):
    client.force_login(users[role])
    sent_back = client.get(f"/postmortems/{published.slug}/history/?version=4").content.decode()
    assert SEND_BACK_NOTE in sent_back and "compared with version 3" in sent_back
    reframed = client.get(f"/postmortems/{published.slug}/history/?version=5").content.decode()
    assert "<del>Bob</del>" in reframed and "compared with version 4" in reframed
    amendment = client.get(f"/postmortems/{published.slug}/history/?version=9").content.decode()
    assert "Carol" in amendment and "Adding what the DBA said" in amendment


@pytest.mark.parametrize("role,sees_note", [("author", True), ("facilitator", True)])
def test_the_send_back_note_on_the_detail_page_is_for_writers(client, users, draft, role, sees_note):
    client.force_login(users[role])
    page = client.get(f"/postmortems/{draft.slug}/").content.decode()
    assert (SEND_BACK_NOTE + " (again)" in page) == sees_note


def test_the_detail_page_never_shows_a_send_back_note_to_readers(client, reader, published, facilitator):
    services.postmortem_send_back(postmortem=published, user=facilitator, comment="Secret reason")
    services.postmortem_submit_for_review(postmortem=published, user=published.authors.first())
    services.postmortem_publish(postmortem=published, user=facilitator)
    client.force_login(reader)
    assert "Secret reason" not in client.get(f"/postmortems/{published.slug}/").content.decode()
    assert "Secret reason" not in client.get(f"/postmortems/{published.slug}/history/").content.decode()


def test_visible_to_is_the_one_rule(published, reader, author, pm_facilitator, facilitator, outsider):
    def versions(user, pm=published):
        return list(Revision.objects.visible_to(user, pm).values_list("version", flat=True))

    assert versions(reader) == versions(outsider) == [8, 7]
    assert versions(author) == versions(pm_facilitator) == versions(facilitator) == EVERY["published"]
    PostMortem.objects.filter(pk=published.pk).update(restricted=True)
    published.refresh_from_db()
    assert versions(reader) == []
    assert versions(author) == EVERY["published"]


# ---- who recorded it ---------------------------------------------------------------------------


def test_imported_revisions_and_deleted_users_do_not_break_the_page(client, reader, published):
    Revision.objects.filter(postmortem=published, version=7).update(user=None, action="imported")
    User.objects.filter(username="arthur").delete()  # the author who recorded version 8
    client.force_login(reader)
    response = client.get(f"/postmortems/{published.slug}/history/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Former user" in content and "Imported" in content
    assert client.get(f"/postmortems/{published.slug}/history/?version=7").status_code == 200


def test_a_post_mortem_from_the_markdown_import_shows_its_history(client, facilitator, tmp_path):
    from postmortems.interchange.importer import Options, import_paths

    path = tmp_path / "outage.md"
    path.write_text("---\nstatus: published\n---\n# Disk full on db-1\n\n## Timeline\n\n"
                    "- 2024-03-01 10:00 Alert fired\n")
    [report] = import_paths([path], options=Options(template=Template.objects.get(slug="standard")))
    client.force_login(facilitator)
    response = client.get(f"/postmortems/{report.slug}/history/")
    assert response.status_code == 200
    assert '<div class="meta"><span>Imported</span>' in response.content.decode()


@pytest.mark.parametrize("junk", ["²", "٣", "-1", "1.0", "0x7", "9" * 5000, "99999999999999999999", " 7", "7 ",
                                  "%00", "<b>7</b>"])
def test_junk_versions_show_the_newest_version(client, reader, published, junk):
    client.force_login(reader)
    response = client.get(f"/postmortems/{published.slug}/history/", {"version": junk})
    assert response.status_code == 200
    assert shown_version(response) == 8
    assert "<b>7</b>" not in response.content.decode()


def test_a_published_post_mortem_without_a_recorded_published_version_says_so(client, reader, make_postmortem):
    pm = make_postmortem(status=Status.PUBLISHED)
    client.force_login(reader)
    response = client.get(f"/postmortems/{pm.slug}/history/?version=1")
    assert response.status_code == 200
    assert "No published version has been recorded yet." in response.content.decode()


def test_history_is_read_only(client, author, published):
    client.force_login(author)
    assert client.post(f"/postmortems/{published.slug}/history/").status_code == 405


# ---- cost ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reader", "author", "facilitator"])
def test_history_query_count_does_not_grow_with_revisions(client, users, published, role):
    client.force_login(users[role])

    def count():
        path = f"/postmortems/{published.slug}/history/?version=8"
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        services.postmortem_record_change(postmortem=published, user=users["author"], action="action item updated")
    assert count() == few
