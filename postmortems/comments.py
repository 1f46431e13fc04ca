"""Comment threads on post-mortems: who may write, answer, change and close them, and who hears of them.

During drafting and review a post-mortem's comments are work in progress: only its authors, its
facilitator and facilitators see and write them. Once it is published, anyone who may read it may
ask a question on the published text; those threads are open to every reader of it. The thread
opener, the post-mortem's authors and facilitators resolve (close) a thread and reopen it.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from postmortems import notifications
from postmortems.coach import checks
from postmortems.comment_models import MAX_COMMENT_CHARS, MAX_QUOTE_CHARS
from postmortems.models import (
    Anchor,
    Comment,
    NotificationKind,
    PostMortem,
    Status,
)
from postmortems.roles import is_facilitator

ANCHOR_ROWS = {
    Anchor.SECTION: "sections",
    Anchor.QUOTE: "sections",
    Anchor.TIMELINE: "timeline_events",
    Anchor.FACTOR: "factors",
    Anchor.ACTION: "action_items",
}


@dataclass(frozen=True)
class Hint:
    text: str
    message: str
    suggestion: str


def language_hints(body: str) -> list[Hint]:
    """Return the blameless coach's hints on a comment's text (advice only: a comment is never refused).

    The one place comments call the coach."""
    findings = checks.check_text(body)
    return [Hint(text=f.text, message=f.message, suggestion=f.suggestion) for f in findings]


def may_comment(user, postmortem: PostMortem) -> bool:
    """Return whether `user` may start a thread on `postmortem` (they already may see it)."""
    if postmortem.status == Status.PUBLISHED:
        return user.is_authenticated
    return postmortem.shows_work_in_progress_to(user)


def may_close(user, thread: Comment) -> bool:
    return thread.author_id == user.pk or thread.postmortem.shows_work_in_progress_to(user) or is_facilitator(user)


def _clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationError("Write a comment first.")
    if len(body) > MAX_COMMENT_CHARS:
        raise ValidationError(f"A comment holds at most {MAX_COMMENT_CHARS:,} characters; this one has {len(body):,}.")
    return body


def _check_anchor(postmortem: PostMortem, anchor: str, anchor_id: int | None, quote: str) -> tuple[int | None, str]:
    if anchor not in Anchor.values:
        raise ValidationError("Choose what the comment is about.")
    if anchor == Anchor.GENERAL:
        return None, ""
    rows = getattr(postmortem, ANCHOR_ROWS[anchor])
    row = rows.filter(pk=anchor_id).first() if anchor_id is not None else None
    if row is None:
        raise ValidationError("What this comment was about is no longer in the post-mortem; choose again.")
    if anchor != Anchor.QUOTE:
        return row.pk, ""
    quote = " ".join((quote or "").replace("\x00", "").split())
    if not quote:
        raise ValidationError("Select the passage you are commenting on, or comment on the whole section.")
    if len(quote) > MAX_QUOTE_CHARS:
        raise ValidationError(f"Quote at most {MAX_QUOTE_CHARS} characters of the section.")
    if quote not in " ".join(row.body.split()):
        raise ValidationError("That passage is not in the section (it may have changed); select it again.")
    return row.pk, quote


def _thread_people(thread: Comment) -> set[int]:
    return {thread.author_id} | set(thread.replies.values_list("author_id", flat=True))


def _tell(*, comment: Comment, kind: str, recipients: set[int], message: str, user) -> None:
    postmortem = comment.postmortem
    if not comment.open_to_readers:  # work in progress: only those who may see it hear of it
        recipients = notifications.work_in_progress_ids(postmortem, recipients)
    notifications.notify(kind=kind, recipient_ids=recipients, postmortem=postmortem, comment=comment, actor=user,
                         message=message, note=comment.body[:500])


@transaction.atomic
def comment_create(
    *, postmortem: PostMortem, user, body: str, anchor: str = Anchor.GENERAL, anchor_id: int | None = None,
    quote: str = "", parent: Comment | None = None,
) -> Comment:
    """Start a thread on `postmortem` (or, with `parent`, answer in its thread); tell whoever it concerns."""
    body = _clean_body(body)
    who = user.get_full_name() or user.username
    title = f"“{postmortem.title[:120]}”"
    if parent is not None:
        thread = parent.parent or parent
        if thread.postmortem_id != postmortem.pk:
            raise ValidationError("That thread belongs to another post-mortem.")
        if thread.is_resolved:
            raise ValidationError("This thread is resolved: reopen it to answer.")
        if thread.is_deleted:
            raise ValidationError("This thread was deleted.")
        comment = Comment.objects.create(
            postmortem=postmortem, parent=thread, author=user, body=body, anchor=thread.anchor,
            anchor_id=thread.anchor_id, quote=thread.quote, open_to_readers=thread.open_to_readers,
        )
        _tell(comment=comment, kind=NotificationKind.REPLY, recipients=_thread_people(thread), user=user,
              message=f"{who} answered in a thread on {title}.")
        _mentions(comment, user, before="")
        return comment
    if not may_comment(user, postmortem):
        raise PermissionDenied("Only its authors and facilitators comment on a post-mortem before it is published.")
    anchor_id, quote = _check_anchor(postmortem, anchor, anchor_id, quote)
    comment = Comment.objects.create(
        postmortem=postmortem, author=user, body=body, anchor=anchor, anchor_id=anchor_id, quote=quote,
        open_to_readers=postmortem.status == Status.PUBLISHED,
    )
    authors = set(PostMortem.authors.through.objects.filter(postmortem=postmortem).values_list("user_id", flat=True))
    _tell(comment=comment, kind=NotificationKind.COMMENT, recipients=authors, user=user,
          message=f"{who} commented on {title}.")
    _mentions(comment, user, before="")
    return comment


def _mentions(comment: Comment, user, *, before: str) -> None:
    from postmortems.follows import notify_mentions

    notify_mentions(postmortem=comment.postmortem, user=user, before=before, after=comment.body, where="a comment",
                    comment=comment, work_in_progress=not comment.open_to_readers)


@transaction.atomic
def comment_edit(*, comment: Comment, user, body: str) -> Comment:
    """Change the text of one's own comment; it is marked edited."""
    if comment.author_id != user.pk:
        raise PermissionDenied("Only who wrote a comment changes it.")
    if comment.is_deleted:
        raise ValidationError("This comment was deleted.")
    before = comment.body
    comment.body = _clean_body(body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    _mentions(comment, user, before=before)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, user) -> Comment:
    """Delete a comment (its writer, or a facilitator): its text goes, a "deleted" mark keeps the thread readable."""
    if comment.author_id != user.pk and not is_facilitator(user):
        raise PermissionDenied("Only who wrote a comment, or a facilitator, deletes it.")
    comment.body = ""
    comment.deleted_at = comment.deleted_at or timezone.now()
    comment.save(update_fields=["body", "deleted_at"])
    return comment


@transaction.atomic
def comment_set_resolved(*, comment: Comment, user, resolved: bool) -> Comment:
    """Resolve (close) or reopen a thread: its opener, the post-mortem's authors and facilitators."""
    thread = comment.parent or comment
    if not may_close(user, thread):
        raise PermissionDenied("Only who opened the thread, the authors and facilitators resolve it.")
    thread.resolved_at = timezone.now() if resolved else None
    thread.resolved_by = user if resolved else None
    thread.save(update_fields=["resolved_at", "resolved_by"])
    return thread


def open_comment_counts(postmortem_ids) -> dict[int, int]:
    """Return {post-mortem id: threads still open} for the review queue (one query)."""
    from django.db.models import Count

    rows = (Comment.objects.unresolved().filter(postmortem_id__in=list(postmortem_ids))
            .values("postmortem_id").annotate(n=Count("id")))
    return {row["postmortem_id"]: row["n"] for row in rows}


def with_open_comment_count(postmortems):
    """Return `postmortems` annotated with `open_comments`: threads not resolved or deleted (for review lists)."""
    from django.db.models import Count, Q

    still_open = Q(comments__parent__isnull=True, comments__resolved_at__isnull=True,
                   comments__deleted_at__isnull=True)
    return postmortems.annotate(open_comments=Count("comments", filter=still_open, distinct=True))


def threads_by_part(comment_list) -> dict[tuple[str, int | None], list[Comment]]:
    """Return {(part kind, part id): threads} for `comment_list` (one post-mortem's comments), each thread
    with its replies in `thread_replies`; threads on a quoted passage count as their section's."""
    replies: dict[int, list[Comment]] = {}
    for c in comment_list:
        if c.parent_id:
            replies.setdefault(c.parent_id, []).append(c)
    grouped: dict[tuple[str, int | None], list[Comment]] = {}
    for c in comment_list:
        if c.parent_id is None:
            c.thread_replies = replies.get(c.pk, [])
            key = ("section" if c.anchor == Anchor.QUOTE else c.anchor, c.anchor_id)
            grouped.setdefault(key, []).append(c)
    return grouped


def open_threads_for_editor(postmortem: PostMortem, user) -> dict[tuple[str, int | None], list[Comment]]:
    """Return the open threads `user` may read on `postmortem`, by part, for the editor (one query)."""
    visible = Comment.objects.visible_to(user, postmortem).select_related("author")
    open_roots = visible.filter(parent__isnull=True, resolved_at__isnull=True, deleted_at__isnull=True)
    rows = list(visible.filter(Q(pk__in=open_roots.values("pk")) | Q(parent__in=open_roots.values("pk"))))
    return threads_by_part(rows)
