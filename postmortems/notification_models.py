"""Notifications, their outbox, people's delivery preferences and what they follow.

Imported by postmortems/models.py so Django finds the models; the workflow is in
postmortems/notifications.py (raising events) and postmortems/delivery.py (sending mail).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationKind(models.TextChoices):
    REVIEW_REQUESTED = "review_requested", "Review requested"
    SENT_BACK = "sent_back", "Sent back for changes"
    PUBLISHED = "published", "Post-mortem published"
    AMENDMENT_PUBLISHED = "amendment_published", "Amendment published"
    ACTION_ASSIGNED = "action_assigned", "Action item assigned to you"
    ACTION_DUE_SOON = "action_due_soon", "Action item due in 3 days"
    ACTION_OVERDUE = "action_overdue", "Action item overdue"
    READING_LIST_ADDED = "reading_list_added", "Your post-mortem added to a reading list"
    COMMENT = "comment", "Comment on your post-mortem"
    REPLY = "reply", "Reply in a thread you are in"
    REVIEWER_ASSIGNED = "reviewer_assigned", "Assigned as reviewer"
    APPROVED = "approved", "Your post-mortem approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested on your post-mortem"
    MENTION = "mention", "Someone mentioned you"


class Delivery(models.TextChoices):
    EMAIL = "email", "Email"
    INBOX = "inbox", "Inbox only"
    DIGEST = "digest", "Weekly digest"


class NotificationQuerySet(models.QuerySet):
    def for_inbox(self, user):
        """Return `user`'s notifications about what they may still see, newest first."""
        # The post-mortem model through the relation: this module is imported by postmortems.models.
        PostMortem = self.model._meta.get_field("postmortem").related_model
        visible = PostMortem.objects.visible_to(user).values("pk")
        return (
            self.filter(recipient=user)
            .filter(Q(postmortem__isnull=True) | Q(postmortem__in=visible))
            .select_related("postmortem", "action_item")
            .order_by("-created_at", "-pk")
        )

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One event told to one person: shown in their inbox, and mailed (through the outbox) or put in the
    digest as they chose for its kind."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    postmortem = models.ForeignKey(
        "postmortems.PostMortem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action_item = models.ForeignKey(
        "postmortems.ActionItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey("postmortems.Comment", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    message = models.CharField(max_length=300)
    note = models.TextField(blank=True, help_text="Words the person who acted wrote (a send-back comment).")
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    key = models.CharField(
        max_length=120, blank=True, help_text="Set for reminders, so one is never raised twice for the same reason."
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=~Q(key=""), name="one_reminder_per_key"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient}: {self.message}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up"
    SKIPPED = "skipped", "Not sent"


class OutboxMessage(models.Model):
    """An email to send, written in the same transaction as the event it tells of.

    `manage.py send_notifications` sends those whose `due_at` has come, retrying a failed one with
    exponential backoff until MAX_ATTEMPTS (postmortems/delivery.py).
    """

    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="outbox")
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="outbox_due_idx")]

    def __str__(self):
        return f"{self.notification} ({self.get_status_display().lower()})"


class NotificationPreference(models.Model):
    """How one person wants one kind of notification; without a row, DEFAULT_DELIVERY applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self):
        return f"{self.user}: {self.kind} by {self.delivery}"


class Follow(models.Model):
    """One person following a tag, a team or a post-mortem: they hear when something there is published."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    postmortem = models.ForeignKey(
        "postmortems.PostMortem", null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    team = models.ForeignKey(
        "postmortems.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    tag = models.ForeignKey("taggit.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(postmortem__isnull=False, team__isnull=True, tag__isnull=True)
                    | Q(postmortem__isnull=True, team__isnull=False, tag__isnull=True)
                    | Q(postmortem__isnull=True, team__isnull=True, tag__isnull=False)
                ),
                name="follow_exactly_one_thing",
            ),
            models.UniqueConstraint(fields=["user", "postmortem"], name="one_follow_per_postmortem"),
            models.UniqueConstraint(fields=["user", "team"], name="one_follow_per_team"),
            models.UniqueConstraint(fields=["user", "tag"], name="one_follow_per_tag"),
        ]

    def __str__(self):
        return f"{self.user} follows {self.postmortem or self.team or self.tag}"
