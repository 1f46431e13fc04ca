"""Named reviewers and their approvals.

A post-mortem's authors request review from named people and facilitators assign reviewers; each
reviewer approves or requests changes, with a note. Reviewers are facilitators or the post-mortem's
own authors: people who already see its drafts, so naming a reviewer never widens who may read it.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from postmortems import notifications
from postmortems.comment_models import MAX_COMMENT_CHARS
from postmortems.models import NotificationKind, PostMortem, ReviewRequest, ReviewState, Status
from postmortems.roles import is_facilitator


def under_review(postmortem: PostMortem) -> bool:
    """Return whether `postmortem` has text waiting for review: a draft, in review, or a pending amendment."""
    if postmortem.status != Status.PUBLISHED:
        return True
    return postmortem.amendments.pending().exists()


def eligible_reviewers(postmortem: PostMortem):
    """Return the people who may be named reviewers of `postmortem`: facilitators and its authors."""
    authors = PostMortem.authors.through.objects.filter(postmortem_id=postmortem.pk).values("user_id")
    return (
        get_user_model().objects.filter(is_active=True)
        .filter(Q(pk__in=authors) | notifications.facilitator_filter())
        .distinct().order_by("first_name", "last_name", "username")
    )


@transaction.atomic
def reviewers_request(*, postmortem: PostMortem, user, reviewers) -> list[ReviewRequest]:
    """Ask `reviewers` to review `postmortem` (its authors ask; facilitators assign); tell each of them.

    Asking someone again makes their review pending again."""
    facilitating = is_facilitator(user)
    if not (facilitating or postmortem.is_authored_by(user)):
        raise PermissionDenied("Only its authors and facilitators ask for reviewers.")
    if not under_review(postmortem):
        raise ValidationError("This post-mortem is published with nothing waiting for review.")
    reviewers = list(reviewers)
    if not reviewers:
        raise ValidationError("Choose at least one reviewer.")
    eligible = set(eligible_reviewers(postmortem).filter(pk__in=[r.pk for r in reviewers]).values_list("pk", flat=True))
    refused = [r for r in reviewers if r.pk not in eligible or r.pk == user.pk]
    if refused:
        names = ", ".join(r.get_full_name() or r.username for r in refused)
        raise ValidationError(f"Reviewers are facilitators or the post-mortem's other authors; not {names}.")
    made = []
    now = timezone.now()
    for reviewer in reviewers:
        request, _ = ReviewRequest.objects.update_or_create(
            postmortem=postmortem, reviewer=reviewer,
            defaults={"requested_by": user, "state": ReviewState.PENDING, "note": "", "requested_at": now,
                      "decided_at": None},
        )
        made.append(request)
    assigning = facilitating and not postmortem.is_authored_by(user)
    who = user.get_full_name() or user.username
    title = f"“{postmortem.title[:120]}”"
    notifications.notify(
        kind=NotificationKind.REVIEWER_ASSIGNED if assigning else NotificationKind.REVIEW_REQUESTED,
        recipient_ids={r.pk for r in reviewers}, postmortem=postmortem, actor=user,
        message=(f"{who} assigned you to review {title}." if assigning else f"{who} asked for your review of {title}."),
    )
    return made


@transaction.atomic
def review_decide(*, postmortem: PostMortem, user, approve: bool, note: str = "") -> ReviewRequest:
    """Record a named reviewer's approval or request for changes (which needs a note); tell the authors."""
    request = ReviewRequest.objects.select_for_update().filter(postmortem=postmortem, reviewer=user).first()
    if request is None:
        raise PermissionDenied("Only its named reviewers approve a post-mortem or request changes.")
    if not under_review(postmortem):
        raise ValidationError("This post-mortem is published with nothing waiting for review.")
    note = (note or "").replace("\x00", "").strip()
    if not approve and not note:
        raise ValidationError("Say what should change, so the authors know what to do.")
    if len(note) > MAX_COMMENT_CHARS:
        raise ValidationError(f"A note holds at most {MAX_COMMENT_CHARS:,} characters.")
    request.state = ReviewState.APPROVED if approve else ReviewState.CHANGES_REQUESTED
    request.note, request.decided_at = note, timezone.now()
    request.save(update_fields=["state", "note", "decided_at"])
    authors = set(PostMortem.authors.through.objects.filter(postmortem=postmortem).values_list("user_id", flat=True))
    who = user.get_full_name() or user.username
    title = f"“{postmortem.title[:120]}”"
    notifications.notify(
        kind=NotificationKind.APPROVED if approve else NotificationKind.CHANGES_REQUESTED,
        recipient_ids=authors, postmortem=postmortem, actor=user, note=note,
        message=f"{who} approved {title}." if approve else f"{who} asked for changes to {title}.",
    )
    return request


def approvers_text(postmortem: PostMortem) -> str:
    """Return "Approved by A, B" for the post-mortem's current approvals, or ""."""
    names = [r.reviewer_name for r in postmortem.review_requests.filter(state=ReviewState.APPROVED)
             .select_related("reviewer")]
    return f"Approved by {', '.join(names)}." if names else ""


def with_review_counts(postmortems):
    """Return `postmortems` annotated with `reviewer_count` and `approval_count` (for the review queue)."""
    return postmortems.annotate(
        reviewer_count=Count("review_requests", distinct=True),
        approval_count=Count("review_requests", filter=Q(review_requests__state=ReviewState.APPROVED), distinct=True),
    )
