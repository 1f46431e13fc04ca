"""Comment threads: anchors, replies, resolve and reopen, edit and delete marks, and who sees what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from postmortems import comments
from postmortems.models import (
    ActionItem,
    Anchor,
    Comment,
    ContributingFactor,
    FactorCategory,
    Notification,
    NotificationKind,
    Section,
    Status,
    TimelineEvent,
)
from tests.conftest import PASSWORD


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def draft(make_postmortem, author):
    pm = make_postmortem(title="Queue backlog", status=Status.IN_REVIEW, authors=[author])
    pm.section = Section.objects.create(postmortem=pm, heading="What happened",
                                        body="The queue grew for **forty minutes** before the alert fired.")
    return pm


@pytest.fixture
def published(make_postmortem, author):
    pm = make_postmortem(title="DNS expiry", status=Status.PUBLISHED, authors=[author])
    pm.section = Section.objects.create(postmortem=pm, heading="Summary", body="The certificate expired.")
    return pm


def post_comment(client, pm, body="Which dashboard showed it?", **extra):
    return client.post(f"/postmortems/{pm.slug}/comments/new/", {"body": body, "anchor": "general:", **extra})


# --- Writing and anchoring ---------------------------------------------------------------------------


def test_facilitator_comments_on_a_section_and_the_author_hears(client, draft, author, facilitator):
    response = post_comment(signed_in(client, facilitator), draft, anchor=f"section:{draft.section.pk}")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/postmortems/{draft.slug}/comments/#comment-{comment.pk}"
    assert (comment.anchor, comment.anchor_id, comment.open_to_readers) == ("section", draft.section.pk, False)
    n = Notification.objects.get(recipient=author)
    assert n.kind == NotificationKind.COMMENT and n.note == "Which dashboard showed it?"
    page = signed_in(client, author).get(f"/postmortems/{draft.slug}/comments/").content.decode()
    assert "Which dashboard showed it?" in page and "1 open" in page


def test_a_quoted_passage_must_be_in_the_section(client, draft, facilitator):
    signed_in(client, facilitator)
    ok = post_comment(client, draft, anchor=f"section:{draft.section.pk}", quote="grew for **forty  minutes**")
    assert ok.status_code == 302
    assert Comment.objects.get().anchor == Anchor.QUOTE
    bad = post_comment(client, draft, body="Keep me", anchor=f"section:{draft.section.pk}", quote="not there")
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "That passage is not in the section" in body and ">Keep me</textarea>" in body
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("kind", ["timeline", "factor", "action"])
def test_comments_anchor_to_events_factors_and_action_items(client, draft, facilitator, kind):
    row = {
        "timeline": lambda: TimelineEvent.objects.create(postmortem=draft, description="Alert fired",
                                                         occurred_at=timezone.now()),
        "factor": lambda: ContributingFactor.objects.create(
            postmortem=draft, category=FactorCategory.objects.first(), description="No queue alert"),
        "action": lambda: ActionItem.objects.create(postmortem=draft, title="Alert on queue depth"),
    }[kind]()
    assert post_comment(signed_in(client, facilitator), draft, anchor=f"{kind}:{row.pk}").status_code == 302
    assert Comment.objects.get().anchor_id == row.pk


@pytest.mark.parametrize("anchor", ["section:999999", "timeline:1", "bogus:1", "section:", "section:-1",
                                    "section:99999999999999999999999", "section:\x00"])
def test_anchors_elsewhere_are_refused_with_the_text_kept(client, draft, make_postmortem, facilitator, anchor):
    response = post_comment(signed_in(client, facilitator), draft, body="Still here", anchor=anchor)
    assert response.status_code == 400 and ">Still here</textarea>" in response.content.decode()
    assert not Comment.objects.exists()


def test_another_post_mortems_section_is_not_an_anchor(client, draft, published, facilitator):
    response = post_comment(signed_in(client, facilitator), draft, anchor=f"section:{published.section.pk}")
    assert response.status_code == 400 and not Comment.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "\x00", "x" * 5001])
def test_empty_or_huge_comments_are_refused(client, draft, facilitator, body):
    assert post_comment(signed_in(client, facilitator), draft, body=body).status_code == 400
    assert not Comment.objects.exists()


def test_hostile_text_is_shown_as_text(client, draft, facilitator):
    post_comment(signed_in(client, facilitator), draft, body='<img src=x onerror="alert(1)">')
    page = client.get(f"/postmortems/{draft.slug}/comments/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_the_coach_gives_hints_on_a_comment_without_refusing_it(client, draft, facilitator):
    response = post_comment(signed_in(client, facilitator), draft, body="Who should have caught this? Human error.",
                            )
    assert response.status_code == 302 and Comment.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "The coach, on" in page


# --- Threads ---------------------------------------------------------------------------------------


def test_replies_join_the_thread_and_tell_its_people(client, draft, author, other_author, facilitator):
    draft.authors.add(other_author)
    thread = comments.comment_create(postmortem=draft, user=facilitator, body="Why forty minutes?")
    response = signed_in(client, author).post(f"/postmortems/{draft.slug}/comments/new/",
                                              {"body": "The alert threshold was high.", "parent": thread.pk})
    assert response.status_code == 302
    reply = Comment.objects.get(parent=thread)
    assert reply.anchor == thread.anchor
    assert Notification.objects.filter(recipient=facilitator, kind=NotificationKind.REPLY).exists()
    # a reply to a reply joins the same thread
    again = comments.comment_create(postmortem=draft, user=other_author, body="Agreed.", parent=reply)
    assert again.parent_id == thread.pk


def test_resolve_and_reopen_and_no_reply_while_resolved(client, draft, author, facilitator):
    thread = comments.comment_create(postmortem=draft, user=facilitator, body="Add the graph?")
    signed_in(client, author).post(f"/comments/{thread.pk}/resolve/", {"resolved": "1"})
    thread.refresh_from_db()
    assert thread.is_resolved and thread.resolved_by == author
    page = client.get(f"/postmortems/{draft.slug}/comments/").content.decode()
    assert "Resolved by Arthur Author" in page and "0 open threads" in page
    refused = client.post(f"/postmortems/{draft.slug}/comments/new/", {"body": "One more", "parent": thread.pk})
    assert refused.status_code == 400 and "reopen it to answer" in refused.content.decode()
    client.post(f"/comments/{thread.pk}/resolve/", {"resolved": "0"})
    thread.refresh_from_db()
    assert not thread.is_resolved


def test_edit_marks_and_delete_marks(client, draft, author, facilitator):
    thread = comments.comment_create(postmortem=draft, user=facilitator, body="Typo: forty.")
    signed_in(client, facilitator).post(f"/comments/{thread.pk}/edit/", {"body": "Typo: fourty → forty."})
    thread.refresh_from_db()
    assert thread.body == "Typo: fourty → forty." and thread.edited_at is not None
    assert "edited" in client.get(f"/postmortems/{draft.slug}/comments/").content.decode()
    assert signed_in(client, author).post(f"/comments/{thread.pk}/edit/", {"body": "mine now"}).status_code == 403
    assert client.post(f"/comments/{thread.pk}/delete/").status_code == 403
    signed_in(client, facilitator).post(f"/comments/{thread.pk}/delete/")
    thread.refresh_from_db()
    assert thread.is_deleted and thread.body == ""
    assert "Comment deleted." in client.get(f"/postmortems/{draft.slug}/comments/").content.decode()


def test_bad_edit_keeps_the_text(client, draft, facilitator):
    thread = comments.comment_create(postmortem=draft, user=facilitator, body="First")
    response = signed_in(client, facilitator).post(f"/comments/{thread.pk}/edit/", {"body": "x" * 5001})
    assert response.status_code == 400 and "x" * 5001 in response.content.decode()
    thread.refresh_from_db()
    assert thread.body == "First"


# --- Who sees what -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who,status", [("reader", 404), ("outsider", 404), ("other_author", 404),
                                        ("author", 200), ("facilitator", 200)])
def test_draft_comments_are_seen_by_its_authors_and_facilitators_only(client, request, draft, facilitator, who,
                                                                      status):
    thread = comments.comment_create(postmortem=draft, user=facilitator, body="Secret review note")
    user = request.getfixturevalue(who)
    signed_in(client, user)
    assert client.get(f"/postmortems/{draft.slug}/comments/").status_code == status
    for path in (f"/comments/{thread.pk}/resolve/", f"/comments/{thread.pk}/delete/", f"/comments/{thread.pk}/edit/"):
        assert client.post(path, {"body": "x"}).status_code in ((404,) if status == 404 else (302, 400, 403))
    assert post_comment(client, draft).status_code in ((404,) if status == 404 else (302,))


def test_review_comments_stay_hidden_from_readers_after_publishing(client, draft, reader, facilitator):
    comments.comment_create(postmortem=draft, user=facilitator, body="Secret review note")
    draft.status = Status.PUBLISHED
    draft.save()
    page = signed_in(client, reader).get(f"/postmortems/{draft.slug}/comments/").content.decode()
    assert "Secret review note" not in page and "0 open threads" in page
    thread = Comment.objects.get()
    assert client.post(f"/comments/{thread.pk}/resolve/").status_code == 404
    reply = client.post(f"/postmortems/{draft.slug}/comments/new/", {"body": "x", "parent": thread.pk})
    assert reply.status_code == 404


def test_readers_ask_questions_on_the_published_text_and_facilitators_close_them(
    client, published, reader, author, facilitator, outsider
):
    response = post_comment(signed_in(client, reader), published, body="Why did renewal not alert?",
                            anchor=f"section:{published.section.pk}")
    assert response.status_code == 302
    question = Comment.objects.get()
    assert question.open_to_readers
    assert Notification.objects.filter(recipient=author, kind=NotificationKind.COMMENT).exists()
    assert "Why did renewal not alert?" in signed_in(client, outsider).get(
        f"/postmortems/{published.slug}/comments/").content.decode()
    assert client.post(f"/comments/{question.pk}/resolve/").status_code == 403  # an outsider cannot close it
    signed_in(client, facilitator).post(f"/comments/{question.pk}/resolve/")
    question.refresh_from_db()
    assert question.is_resolved


def test_restricted_post_mortems_hide_their_questions(client, published, reader, author, facilitator):
    comments.comment_create(postmortem=published, user=author, body="A question")
    published.restricted = True
    published.save()
    assert signed_in(client, reader).get(f"/postmortems/{published.slug}/comments/").status_code == 404
    assert client.post(f"/comments/{Comment.objects.get().pk}/resolve/").status_code == 404


def test_wrong_methods(client, draft, facilitator):
    thread = comments.comment_create(postmortem=draft, user=facilitator, body="x")
    signed_in(client, facilitator)
    assert client.post(f"/postmortems/{draft.slug}/comments/").status_code == 405
    for path in (f"/postmortems/{draft.slug}/comments/new/", f"/comments/{thread.pk}/edit/",
                 f"/comments/{thread.pk}/delete/", f"/comments/{thread.pk}/resolve/"):
        assert client.get(path).status_code == 405


def test_bad_parent_ids_are_not_found(client, draft, facilitator):
    signed_in(client, facilitator)
    for parent in ("999999", "99999999999999999999999"):
        response = client.post(f"/postmortems/{draft.slug}/comments/new/", {"body": "x", "parent": parent})
        assert response.status_code in (302, 404)


def test_review_view_queries_do_not_grow_with_threads(client, draft, author, facilitator):
    signed_in(client, facilitator)
    comments.comment_create(postmortem=draft, user=author, body="one")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/postmortems/{draft.slug}/comments/")
    for i in range(10):
        t = comments.comment_create(postmortem=draft, user=author, body=f"t{i}", anchor=Anchor.SECTION,
                                    anchor_id=draft.section.pk)
        comments.comment_create(postmortem=draft, user=facilitator, body=f"r{i}", parent=t)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/postmortems/{draft.slug}/comments/")
    assert len(few) == len(many)


def test_open_comment_counts_for_the_queue(draft, published, author, facilitator):
    t = comments.comment_create(postmortem=draft, user=facilitator, body="a")
    comments.comment_create(postmortem=draft, user=facilitator, body="b")
    comments.comment_create(postmortem=draft, user=author, body="reply", parent=t)
    comments.comment_set_resolved(comment=t, user=author, resolved=True)
    assert comments.open_comment_counts([draft.pk, published.pk]) == {draft.pk: 1}


def test_home_review_queue_shows_open_comments(client, draft, author, facilitator):
    comments.comment_create(postmortem=draft, user=author, body="Please look at the timeline first.")
    comments.comment_create(postmortem=draft, user=author, body="And the impact.")
    page = signed_in(client, facilitator).get("/").content.decode()
    assert f'href="/postmortems/{draft.slug}/comments/">2 open comments</a>' in page


def test_the_editor_shows_open_threads_beside_their_section(client, draft, author, facilitator):
    comments.comment_create(postmortem=draft, user=facilitator, body="Which dashboard?", anchor=Anchor.QUOTE,
                            anchor_id=draft.section.pk, quote="forty minutes")
    closed = comments.comment_create(postmortem=draft, user=facilitator, body="Typo in the title")
    comments.comment_set_resolved(comment=closed, user=author, resolved=True)
    event = TimelineEvent.objects.create(postmortem=draft, description="Alert fired", occurred_at=timezone.now())
    comments.comment_create(postmortem=draft, user=facilitator, body="Acknowledged when?", anchor=Anchor.TIMELINE,
                            anchor_id=event.pk)
    page = signed_in(client, author).get(f"/postmortems/{draft.slug}/edit/").content.decode()
    section_at = page.index(f'id="section-{draft.section.pk}"')
    assert section_at < page.index("Which dashboard?") < page.index('id="timeline"') < page.index("Acknowledged when?")
    assert "Typo in the title" not in page  # resolved threads stay in the review view
    assert f'href="/postmortems/{draft.slug}/comments/#comment-' in page


def test_the_editor_of_a_published_post_mortem_shows_its_open_questions(client, published, author, facilitator):
    published.authors.add(facilitator)
    comments.comment_create(postmortem=published, user=facilitator, body="Visible question")
    page = signed_in(client, author).get(f"/postmortems/{published.slug}/edit/").content.decode()
    assert "Visible question" in page
