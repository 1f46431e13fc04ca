"""Comments on a post-mortem: threads anchored to what they are about. Imported by postmortems/models.py."""

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_COMMENT_CHARS = 5000
MAX_QUOTE_CHARS = 300


class Anchor(models.TextChoices):
    GENERAL = "general", "The whole post-mortem"
    SECTION = "section", "Section"
    QUOTE = "quote", "Passage of a section"
    TIMELINE = "timeline", "Timeline event"
    FACTOR = "factor", "Contributing factor"
    ACTION = "action", "Action item"


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user, postmortem):
        """Return `postmortem`'s comments `user` may read: all of them for its authors and facilitators,
        those open to readers (asked after publication) for anyone else who may see it."""
        comments = self.filter(postmortem=postmortem)
        if postmortem.shows_work_in_progress_to(user):
            return comments
        if not type(postmortem).objects.visible_to(user).filter(pk=postmortem.pk).exists():
            return comments.none()
        return comments.filter(open_to_readers=True)

    def threads(self):
        return self.filter(parent__isnull=True)

    def unresolved(self):
        return self.filter(parent__isnull=True, resolved_at__isnull=True, deleted_at__isnull=True)


class Comment(models.Model):
    """A comment, or (with `parent`) a reply in its thread. Replies take the thread's anchor and visibility."""

    postmortem = models.ForeignKey("postmortems.PostMortem", on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    anchor = models.CharField(max_length=10, choices=Anchor.choices, default=Anchor.GENERAL)
    anchor_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="The section, event, factor or item.")
    quote = models.CharField(max_length=MAX_QUOTE_CHARS, blank=True, help_text="The passage of the section quoted.")
    body = models.TextField(max_length=MAX_COMMENT_CHARS)
    open_to_readers = models.BooleanField(
        default=False, help_text="Asked on the published text: every reader of the post-mortem sees the thread."
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["postmortem", "parent", "resolved_at"], name="comment_threads_idx")]

    def __str__(self):
        return f"Comment on {self.postmortem_id} by {self.author_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def author_name(self) -> str:
        if self.author is None:
            return "Former user"
        return self.author.get_full_name() or self.author.username


class ReviewState(models.TextChoices):
    PENDING = "pending", "Review requested"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class ReviewRequest(models.Model):
    """A named reviewer of a post-mortem and where their review stands."""

    postmortem = models.ForeignKey("postmortems.PostMortem", on_delete=models.CASCADE, related_name="review_requests")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=20, choices=ReviewState.choices, default=ReviewState.PENDING)
    note = models.TextField(blank=True, max_length=MAX_COMMENT_CHARS)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [models.UniqueConstraint(fields=["postmortem", "reviewer"], name="one_review_per_reviewer")]

    def __str__(self):
        return f"{self.reviewer} on {self.postmortem_id}: {self.state}"

    @property
    def reviewer_name(self) -> str:
        return self.reviewer.get_full_name() or self.reviewer.username
