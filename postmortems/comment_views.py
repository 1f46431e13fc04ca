"""The review view: a post-mortem's text with its comment threads beside what they are about."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from postmortems import comments
from postmortems.access import get_comment_for, get_postmortem_for
from postmortems.models import Anchor, Comment
from postmortems.params import whole_number


def _attach(rows, kind, grouped):
    rows = list(rows)
    for row in rows:
        row.threads = grouped.get((kind, row.pk), [])
        row.open_threads = sum(1 for t in row.threads if not t.is_resolved and not t.is_deleted)
    return rows


def _review(request, postmortem, *, failed: dict | None = None, status: int = 200):
    user = request.user
    visible = list(Comment.objects.visible_to(user, postmortem).select_related("author", "resolved_by"))
    grouped = comments.threads_by_part(visible)
    sections = _attach(postmortem.sections.all(), "section", grouped)
    events = _attach(postmortem.timeline_events.all(), "timeline", grouped)
    factors = _attach(postmortem.factors.select_related("category"), "factor", grouped)
    actions = _attach(postmortem.action_items.select_related("owner"), "action", grouped)
    anchors = [("general:", "The whole post-mortem")]
    anchors += [(f"section:{s.pk}", f"Section: {s.heading}") for s in sections]
    anchors += [(f"timeline:{e.pk}", f"Timeline: {e.description[:60]}") for e in events]
    anchors += [(f"factor:{f.pk}", f"Factor: {f.description[:60]}") for f in factors]
    anchors += [(f"action:{a.pk}", f"Action item: {a.title[:60]}") for a in actions]
    ctx = {
        "pm": postmortem,
        "general_threads": grouped.get(("general", None), []),
        "sections": sections, "events": events, "factors": factors, "action_items": actions,
        "open_total": sum(1 for c in visible if c.parent_id is None and not c.is_resolved and not c.is_deleted),
        "may_comment": comments.may_comment(user, postmortem),
        "anchors": anchors,
        "failed": failed or {},
    }
    return render(request, "postmortems/comments.html", ctx, status=status)


@require_safe
def comment_review(request, slug):
    return _review(request, get_postmortem_for(request, slug))


def _anchor_of(value: str) -> tuple[str, int | None]:
    kind, _, number = (value or "general:").partition(":")
    return kind, whole_number(number)


def _back_to(comment: Comment) -> str:
    return reverse("comment_review", args=[comment.postmortem.slug]) + f"#comment-{comment.pk}"


def _hint(request, body: str) -> None:
    for hint in comments.language_hints(body):
        text = f"The coach, on “{hint.text}”: {hint.message}"
        messages.info(request, text + (f" Try: {hint.suggestion}" if hint.suggestion else ""))


@require_POST
def comment_new(request, slug):
    """Start a thread or, with `parent`, answer in one. On bad input the page comes back with the text kept."""
    postmortem = get_postmortem_for(request, slug)
    body = request.POST.get("body", "")
    parent = None
    parent_id = whole_number(request.POST.get("parent", ""))
    if parent_id is not None:
        parent = get_comment_for(request, parent_id)
    anchor, anchor_id = _anchor_of(request.POST.get("anchor", ""))
    if anchor == Anchor.SECTION and request.POST.get("quote", "").strip():
        anchor = Anchor.QUOTE
    try:
        comment = comments.comment_create(postmortem=postmortem, user=request.user, body=body, anchor=anchor,
                                          anchor_id=anchor_id, quote=request.POST.get("quote", ""), parent=parent)
    except ValidationError as error:
        failed = {"error": " ".join(error.messages), "body": body.replace("\x00", ""), "parent": parent_id,
                  "anchor": request.POST.get("anchor", ""), "quote": request.POST.get("quote", "").replace("\x00", "")}
        return _review(request, postmortem, failed=failed, status=400)
    _hint(request, comment.body)
    return redirect(_back_to(comment))


@require_POST
def comment_edit(request, pk):
    comment = get_comment_for(request, pk)
    try:
        comments.comment_edit(comment=comment, user=request.user, body=request.POST.get("body", ""))
    except ValidationError as error:
        failed = {"error": " ".join(error.messages), "edit": comment.pk,
                  "body": request.POST.get("body", "").replace("\x00", "")}
        return _review(request, comment.postmortem, failed=failed, status=400)
    _hint(request, comment.body)
    return redirect(_back_to(comment))


@require_POST
def comment_delete(request, pk):
    comment = get_comment_for(request, pk)
    comments.comment_delete(comment=comment, user=request.user)
    messages.success(request, "Comment deleted.")
    return redirect(_back_to(comment))


@require_POST
def comment_resolve(request, pk):
    comment = get_comment_for(request, pk)
    resolved = request.POST.get("resolved", "1") != "0"
    thread = comments.comment_set_resolved(comment=comment, user=request.user, resolved=resolved)
    messages.success(request, "Thread resolved." if resolved else "Thread reopened.")
    return redirect(_back_to(thread))
