"""Authoring: post-mortems and their structured parts.

Blameless by design: no model here records who caused an incident or who is at fault.
People appear by role in the text; users appear only as authors (credit), the optional
facilitator, owners of follow-up work (action items) and the editors of revisions.
tests/postmortems/test_no_blame_field.py walks every model to keep it so.

Over 500 lines on purpose: these are the tables of one aggregate (a post-mortem, its parts, its
amendments and revisions, and the coach's records of it) and the QuerySets that read them. Django
finds an app's models in one module; the kinds and bounds they share live beside it (kinds.py).
"""

import hashlib
import secrets
import zoneinfo
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.formats import date_format
from taggit.managers import TaggableManager

from postmortems.kinds import SECTION_KINDS, TEXT_KINDS
from postmortems.markdown import MAX_FIELD_CHARS, MAX_SECTION_CHARS, MarkdownValidator
from postmortems.rendered import RenderedMarkdownQuerySet, RendersMarkdown, html_field
from postmortems.weblinks import WebURLField

MARKDOWN = [MarkdownValidator(MAX_FIELD_CHARS)]

# Revisions recorded by the Markdown importer (it has no user to name).
IMPORT_ACTIONS = ("imported", "imported (updated)")

EARLIEST_INCIDENT_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_INCIDENT_TIME_AHEAD = timedelta(days=365)


def incident_time_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Return the earliest and latest incident time Hindsight accepts: 1 January 1970 to a year from now."""
    return EARLIEST_INCIDENT_TIME, (now or timezone.now()) + LATEST_INCIDENT_TIME_AHEAD


def incident_time_error(value: datetime | None, now: datetime | None = None) -> str:
    """Return why `value` cannot be an incident time (outside `incident_time_bounds`), or ""."""
    if value is None:
        return ""
    earliest, latest = incident_time_bounds(now)
    if earliest <= value <= latest:
        return ""
    return (
        f"Choose a time from {date_format(earliest, 'j F Y')} to {date_format(latest, 'j F Y')} "
        "(a year from now at most)."
    )


@deconstructible
class IncidentTimeValidator:
    """Keep incident times (and timeline events) between 1970 and a year from now.

    A class, not bounds given as arguments, since "a year from now" moves: migrations store the
    validator, not today's date.
    """

    code = "incident_time_out_of_range"

    def __call__(self, value):
        message = incident_time_error(value)
        if message:
            raise ValidationError(message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, IncidentTimeValidator)

    def __hash__(self):
        return hash(self.code)


validate_incident_time = IncidentTimeValidator()

INCIDENT_TIME_FIELDS = ("started_at", "detected_at", "mitigated_at", "resolved_at")


def utc_text(value: datetime) -> str:
    """Return `value` as "9999-12-31 23:59 UTC" (as written, when UTC cannot hold it)."""
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        return value.isoformat(" ", "minutes")
    return f"{value.year:04d}-{value:%m-%d %H:%M} UTC"  # %Y does not pad years before 1000


def out_of_range_note(value: datetime) -> str:
    """Return the note that starts the description of a timeline event whose time was out of range."""
    return f"(The time recorded for this event, {utc_text(value)}, was out of range.) "


class DisplayZone(zoneinfo.ZoneInfo):
    """A time zone for showing stored times, in which a time the local calendar cannot hold stays in UTC.

    9999-12-31 23:59 UTC is in year 10000 in Auckland, 0001-01-01 00:00 UTC before year 1 in Los
    Angeles: a plain ZoneInfo raises OverflowError there, and every page showing such a time (a
    template's `date` filter, a form's initial value, the admin) would fail. The incident times
    are bounded (`incident_time_bounds`), but a value stored another way (an old row, a raw SQL
    edit) must not take pages down. Time zones of the pages are activated as DisplayZone (see
    postmortems.middleware); otherwise it behaves as the ZoneInfo of the same key.
    """

    def fromutc(self, dt):
        try:
            return super().fromutc(dt)
        except OverflowError:
            return dt.replace(tzinfo=UTC)


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="Times are shown in this time zone. Empty means the server's time zone.",
    )
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)

    def __str__(self):
        return f"Profile of {self.user}"

    def tzinfo(self) -> DisplayZone:
        try:
            return DisplayZone(self.time_zone or settings.TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return DisplayZone(settings.TIME_ZONE)

    def rotate_feed_token(self):
        self.feed_token = new_feed_token()
        self.save(update_fields=["feed_token"])

    @classmethod
    def for_user(cls, user):
        profile, _ = cls.objects.get_or_create(user=user)
        return profile


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# What a section is for; the language coach scopes its rules by it (the kinds: postmortems/kinds.py).
SectionKind = models.TextChoices("SectionKind", [(key.upper(), (key, label)) for key, label in SECTION_KINDS.items()])


class Template(models.Model):
    name = models.CharField(max_length=100, unique=True, help_text="Shown to authors when they start a post-mortem.")
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="When to choose this template, in a sentence or two.")
    is_active = models.BooleanField(default=True, help_text="Inactive templates are not offered for new post-mortems.")
    position = models.PositiveIntegerField(default=0, help_text="Templates are offered in this order.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class TemplateSection(models.Model):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(default=0, help_text="Sections appear in this order.")
    heading = models.CharField(max_length=200)
    guidance = models.TextField(
        blank=True,
        help_text="A prompt shown to the writer. Ask what and how, not who and why.",
    )
    kind = models.CharField(max_length=20, choices=SectionKind.choices, default=SectionKind.NARRATIVE)
    required = models.BooleanField(default=False, help_text="Required sections must be filled before review.")

    class Meta:
        ordering = ["template", "position", "id"]

    def __str__(self):
        return f"{self.template}: {self.heading}"


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1"
    SEV2 = "sev2", "SEV2"
    SEV3 = "sev3", "SEV3"
    SEV4 = "sev4", "SEV4"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class PostMortemQuerySet(RenderedMarkdownQuerySet):
    def visible_to(self, user):
        """Return the post-mortems `user` may read."""
        from postmortems.roles import is_facilitator

        if not user.is_authenticated:
            return self.none()
        if is_facilitator(user):
            return self
        is_author = Q(pk__in=PostMortem.authors.through.objects.filter(user_id=user.pk).values("postmortem_id"))
        open_published = Q(status=Status.PUBLISHED, restricted=False)
        return self.filter(open_published | is_author)

    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def awaiting_review(self):
        """Return the post-mortems in review, and the published ones whose amendment is in review."""
        return self.filter(Q(status=Status.IN_REVIEW) | Q(amendments__status="in_review")).distinct()

    def with_list_data(self):
        return self.prefetch_related("teams", "tags", "authors")

    def with_open_actions(self):
        """Return the list data plus each post-mortem's open action items as `open_actions`, soonest due first."""
        return self.with_list_data().prefetch_related(
            models.Prefetch("action_items", queryset=ActionItem.objects.still_open().order_by("due_date", "id"),
                            to_attr="open_actions")
        )


class PostMortem(RendersMarkdown):
    MARKDOWN_FIELDS = {"summary": "summary_html"}

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    summary = models.TextField(
        blank=True, validators=MARKDOWN, help_text="Two or three sentences: what happened and what it meant."
    )
    summary_html = html_field()
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(default=timezone.now)

    started_at = models.DateTimeField("incident started", null=True, blank=True, validators=[validate_incident_time])
    detected_at = models.DateTimeField("detected", null=True, blank=True, validators=[validate_incident_time])
    mitigated_at = models.DateTimeField("mitigated", null=True, blank=True, validators=[validate_incident_time])
    resolved_at = models.DateTimeField("resolved", null=True, blank=True, validators=[validate_incident_time])

    teams = models.ManyToManyField(Team, blank=True, related_name="postmortems")
    tags = TaggableManager(blank=True, help_text="Services, failure modes and themes, comma-separated.")
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="authored_postmortems", help_text="Credit for the write-up."
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilitated_postmortems",
        help_text="Who runs the review of this write-up.",
    )
    restricted = models.BooleanField(
        default=False, help_text="Visible only to its authors and facilitators (security incidents, for example)."
    )
    template = models.ForeignKey(Template, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Markdown import remembers where a write-up came from, so a second import updates it.
    source_path = models.CharField(max_length=500, blank=True, editable=False)
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)

    objects = PostMortemQuerySet.as_manager()

    class Meta:
        verbose_name = "post-mortem"
        ordering = ["-started_at", "-created_at"]
        permissions = [
            ("publish_postmortem", "Can review, publish and send back post-mortems"),
            ("view_restricted_postmortem", "Can see every post-mortem, restricted ones included"),
        ]
        indexes = [
            models.Index(fields=["status", "restricted", "-published_at"], name="pm_library_recent_idx"),
            models.Index(fields=["-started_at", "-created_at"], name="pm_list_order_idx"),
            models.Index(fields=["source_path"], name="pm_import_source_idx"),
            # Home's newest published write-ups: walked newest first, whoever reads (no sort of them all).
            models.Index(fields=["-published_at"], condition=Q(status="published"), name="pm_published_newest_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("postmortem_detail", args=[self.slug])

    @property
    def time_to_detect(self) -> timedelta | None:
        return _span(self.started_at, self.detected_at)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return _span(self.started_at, self.mitigated_at)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return _span(self.started_at, self.resolved_at)

    def is_authored_by(self, user) -> bool:
        return user.is_authenticated and self.authors.filter(pk=user.pk).exists()

    def clear_times_out_of_range(self, now: datetime | None = None) -> dict[str, datetime]:
        """Empty the incident times outside `incident_time_bounds` (not saved); return the ones emptied by field.

        For times stored before they were checked: the editor asks for a start time again. The
        migration repair_times_out_of_range does the same to the rows in the database.
        """
        cleared = {}
        for name in INCIDENT_TIME_FIELDS:
            value = getattr(self, name)
            if incident_time_error(value, now):
                cleared[name] = value
                setattr(self, name, None)
        return cleared

    def is_open_to_readers(self) -> bool:
        """Return whether every signed-in reader may see it (published and not restricted)."""
        return self.status == Status.PUBLISHED and not self.restricted

    def shows_work_in_progress_to(self, user) -> bool:
        """Return whether `user` may read its drafts and review versions, their differences and notes:
        its authors, its facilitator and facilitators."""
        from postmortems.roles import is_facilitator

        if user is None or not user.is_authenticated:
            return False
        return is_facilitator(user) or self.facilitator_id == user.pk or self.is_authored_by(user)


def _span(start, end):
    """Return real elapsed time; converting to UTC first, since Python subtracts wall-clock times
    that share a tzinfo (wrong across a DST change)."""
    if start is None or end is None:
        return None
    return end.astimezone(UTC) - start.astimezone(UTC)


class Section(RendersMarkdown):
    """A post-mortem's own copy of a template section; template edits never rewrite it."""

    MARKDOWN_FIELDS = {"body": "body_html"}

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(default=0)
    heading = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=SectionKind.choices, default=SectionKind.NARRATIVE)
    required = models.BooleanField(default=False)
    body = models.TextField(blank=True, validators=[MarkdownValidator(MAX_SECTION_CHARS)])
    body_html = html_field()

    objects = RenderedMarkdownQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "position", "id"]

    def __str__(self):
        return self.heading


class EventKind(models.TextChoices):
    DETECTION = "detection", "Detection"
    ESCALATION = "escalation", "Escalation"
    ACTION = "action", "Action"
    COMMUNICATION = "communication", "Communication"
    MITIGATION = "mitigation", "Mitigation"
    RESOLUTION = "resolution", "Resolution"
    OBSERVATION = "observation", "Observation"


class TimelineEvent(RendersMarkdown):
    """What happened when. No user field: people appear by role in the description."""

    MARKDOWN_FIELDS = {"description": "description_html"}

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="timeline_events")
    occurred_at = models.DateTimeField("when", validators=[validate_incident_time])
    kind = models.CharField(max_length=20, choices=EventKind.choices, default=EventKind.OBSERVATION)
    description = models.TextField("what happened", validators=MARKDOWN)
    description_html = html_field()
    evidence_url = WebURLField("evidence link", max_length=500, blank=True)

    objects = RenderedMarkdownQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "occurred_at", "id"]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description[:60]}"

    def move_into_range(self, now: datetime | None = None) -> bool:
        """Move an event outside `incident_time_bounds` to the nearest bound (not saved); return whether it moved.

        For times stored before they were checked: what happened is kept, its description starts
        with a note of the time recorded. The migration repair_times_out_of_range does the same
        to the rows in the database.
        """
        if not incident_time_error(self.occurred_at, now):
            return False
        earliest, latest = incident_time_bounds(now)
        self.description = out_of_range_note(self.occurred_at) + self.description
        self.occurred_at = earliest if self.occurred_at < earliest else latest
        return True


class FactorCategory(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="What belongs in this category, for writers choosing one.")
    position = models.PositiveIntegerField(default=0, help_text="Categories are offered in this order.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "factor categories"

    def __str__(self):
        return self.name


class ContributingFactor(RendersMarkdown):
    MARKDOWN_FIELDS = {"description": "description_html"}

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="factors")
    category = models.ForeignKey(FactorCategory, on_delete=models.PROTECT, related_name="factors")
    description = models.TextField(validators=MARKDOWN)
    description_html = html_field()
    position = models.PositiveIntegerField(default=0)

    objects = RenderedMarkdownQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "position", "id"]

    def __str__(self):
        return f"{self.category}: {self.description[:60]}"


class ActionKind(models.TextChoices):
    PREVENT = "prevent", "Prevent"
    MITIGATE = "mitigate", "Mitigate"
    DETECT = "detect", "Detect"
    PROCESS = "process", "Process"
    REPAIR = "repair", "Repair"


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


class ActionItemQuerySet(RenderedMarkdownQuerySet):
    def visible_to(self, user):
        return self.filter(postmortem__in=PostMortem.objects.visible_to(user))

    def still_open(self):
        return self.filter(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS])

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.still_open().filter(due_date__lt=today)


class ActionItem(RendersMarkdown):
    MARKDOWN_FIELDS = {"description": "description_html"}

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=MARKDOWN)
    description_html = html_field()
    kind = models.CharField(max_length=20, choices=ActionKind.choices, default=ActionKind.PREVENT)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        help_text="Who follows this up. Ownership of the follow-up, not blame.",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    wont_do_reason = models.TextField("reason for won't do", blank=True)
    tracker_url = WebURLField("tracker link", max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="action_items_mine_idx"),
            models.Index(fields=["status", "due_date"], name="action_items_overdue_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today

    def set_status(self, status: str, reason: str = "") -> None:
        """Change the status, keeping completed_at and the won't-do reason consistent."""
        if status not in ActionStatus.values:
            raise ValidationError({"status": "Unknown status."})
        check_wont_do_reason(status, reason)
        self.status = status
        self.wont_do_reason = reason.strip() if status == ActionStatus.WONT_DO else ""
        if status in (ActionStatus.DONE, ActionStatus.WONT_DO):
            self.completed_at = self.completed_at or timezone.now()
        else:
            self.completed_at = None

    def clean(self):
        check_wont_do_reason(self.status, self.wont_do_reason)


WONT_DO_NEEDS_A_REASON = "Say why this will not be done."


def check_wont_do_reason(status: str, reason: str | None, *, field: str = "wont_do_reason") -> None:
    """Raise ValidationError (on `field`) when `status` is won't do and `reason` is blank: the one place
    this rule lives (the model, the editor's rows, the status form and the admin's action ask it)."""
    if status == ActionStatus.WONT_DO and not (reason or "").strip():
        raise ValidationError({field: WONT_DO_NEEDS_A_REASON})


class AmendmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    DISCARDED = "discarded", "Discarded"


PENDING_AMENDMENT = [AmendmentStatus.DRAFT, AmendmentStatus.IN_REVIEW]


class AmendmentQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status__in=PENDING_AMENDMENT)


class Amendment(models.Model):
    """The pending next version of a published post-mortem.

    Readers keep seeing the published text (the post-mortem's own rows) while the amendment's
    document (postmortems/documents.py) is written and reviewed; publishing it merges it into the
    published text against `base_document`, the published text it started from. A post-mortem has
    at most one pending (draft or in review) amendment.
    """

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="amendments")
    status = models.CharField(max_length=12, choices=AmendmentStatus.choices, default=AmendmentStatus.DRAFT)
    document = models.JSONField(default=dict, help_text="The amended text.")
    base_document = models.JSONField(default=dict, help_text="The published text the amendment started from.")
    base_version = models.PositiveIntegerField(help_text="The post-mortem's version when the amendment started.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_version = models.PositiveIntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was published or discarded.")

    objects = AmendmentQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem"], condition=Q(status__in=["draft", "in_review"]), name="one_pending_amendment"
            )
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="amendment_review_queue_idx")]

    def __str__(self):
        return f"Amendment of {self.postmortem} ({self.get_status_display().lower()})"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_AMENDMENT


class UploadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the images `user` may see: those of the post-mortems they may read."""
        return self.filter(postmortem__in=PostMortem.objects.visible_to(user))


class Upload(models.Model):
    """An image dropped into a post-mortem's editor, stored re-encoded under MEDIA_ROOT.

    It is served only to people who may see its post-mortem (postmortems.views.media_file).
    """

    path = models.CharField(max_length=255, unique=True, help_text="Where the file is, under MEDIA_ROOT.")
    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="uploads")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = UploadQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "uploaded_at", "id"]

    def __str__(self):
        return self.path

    @property
    def url(self) -> str:
        return reverse("media_file", kwargs={"name": self.path})


class RevisionQuerySet(models.QuerySet):
    def published_versions(self):
        """Return the revisions that record a published version (their snapshot's status is published).

        Drafts, review versions and amendments still being written have another status there.
        """
        return self.filter(snapshot__status=Status.PUBLISHED)

    def visible_to(self, user, postmortem: PostMortem):
        """Return the revisions of `postmortem` that `user` may read.

        Its authors, its facilitator and facilitators read every revision; anyone else who may see
        the post-mortem reads its published versions only (their differences and notes included);
        others read none.
        """
        revisions = self.filter(postmortem=postmortem)
        if postmortem.shows_work_in_progress_to(user):
            return revisions
        if user is None or not user.is_authenticated or not postmortem.is_open_to_readers():
            return revisions.none()
        return revisions.published_versions()


class Revision(models.Model):
    """One save of a post-mortem: who, when, and a full snapshot for per-section differences.

    A revision of a pending amendment names it: its snapshot is the amendment's text with the
    amendment's status, never "published", so readers never see it as published text.
    """

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="revisions")
    amendment = models.ForeignKey(
        Amendment, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    version = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40, default="edited")
    comment = models.TextField(blank=True)
    snapshot = models.JSONField(default=dict)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "-version", "-id"]
        indexes = [models.Index(fields=["postmortem", "-version"], name="revision_history_idx")]

    def __str__(self):
        return f"{self.postmortem} v{self.version} ({self.action})"

    @property
    def editor_name(self) -> str:
        """Who recorded it, as people read it: a name, "Imported", or "Former user" once the account is gone."""
        if self.user is not None:
            return self.user.get_full_name() or self.user.username
        if self.action in IMPORT_ACTIONS:
            return "Imported"
        return "Former user"


class LanguageRule(models.Model):
    """A pattern the blameless coach looks for, edited by facilitators."""

    class Category(models.TextChoices):
        BLAME = "blame", "Blame and judgement"
        COUNTERFACTUAL = "counterfactual", "Counterfactual"
        MINIMISING = "minimising", "Minimising words"
        PERSON_AS_CAUSE = "person_as_cause", "Person as cause"
        ACTION_QUALITY = "action_quality", "Action-item quality"

    slug = models.SlugField(max_length=80, unique=True)
    pattern = models.TextField(help_text="A phrase (matched as whole words, any case) or a regular expression.")
    is_regex = models.BooleanField(default=False, help_text="Treat the pattern as a Python regular expression.")
    category = models.CharField(max_length=20, choices=Category.choices)
    message = models.TextField(help_text="Why this phrase gets in the way of learning, in a sentence.")
    suggestion = models.TextField(blank=True, help_text="A reframing the writer can use instead.")
    section_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text=f"Section kinds the rule applies to ({', '.join(TEXT_KINDS)}). Empty means every kind.",
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "slug"]

    def __str__(self):
        return self.slug


class FindingDismissal(models.Model):
    """An author's reasoned decision to keep a phrase the coach flagged."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="dismissals")
    rule_slug = models.SlugField(max_length=80)
    location = models.CharField(max_length=80, help_text="Which text the finding was in, e.g. section:12.")
    text = models.CharField(max_length=300)
    reason = models.TextField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["postmortem", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "rule_slug", "location", "text"], name="one_dismissal_per_finding"
            )
        ]

    def __str__(self):
        return f"{self.rule_slug}: {self.text}"


class LanguageFindingQuerySet(models.QuerySet):
    """Read paths over the coach's stored findings; whether one is open is decided against FindingDismissal."""

    def with_dismissed(self):
        """Annotate `is_dismissed`: an author kept the phrase with a reason."""
        return self.annotate(is_dismissed=models.Exists(
            FindingDismissal.objects.filter(
                postmortem_id=models.OuterRef("postmortem_id"),
                rule_slug=models.OuterRef("rule_slug"),
                location=models.OuterRef("location"),
                text=models.OuterRef("text"),
            )
        ))

    def open(self):
        """Findings neither fixed (they would be gone) nor dismissed with a reason."""
        return self.with_dismissed().filter(is_dismissed=False)

    def dismissed(self):
        return self.with_dismissed().filter(is_dismissed=True)


class LanguageFinding(models.Model):
    """The coach's findings as of a post-mortem's last save, for review and trends."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="language_findings")
    rule_slug = models.SlugField(max_length=80)
    category = models.CharField(max_length=20, choices=LanguageRule.Category.choices)
    location = models.CharField(max_length=80)
    text = models.CharField(max_length=300)
    start = models.PositiveIntegerField(default=0)
    end = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    suggestion = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = LanguageFindingQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "location", "start"]
        indexes = [models.Index(fields=["category", "created_at"], name="finding_trend_idx")]

    def __str__(self):
        return f"{self.rule_slug}: {self.text}"


class RateCounter(models.Model):
    """How often one user called one rate-limited endpoint in the current window (see postmortems/ratelimit.py).

    Counted in the database, so every gunicorn worker sees the same count. One row per user and
    endpoint; a call after `window_ends` starts a new window.
    """

    key = models.CharField(max_length=100, unique=True, help_text="endpoint:user id")
    hits = models.PositiveIntegerField(default=0)
    window_ends = models.BigIntegerField(help_text="Unix time (seconds) when the count starts again.")

    def __str__(self):
        return f"{self.key}: {self.hits}"


class LibraryVersion(models.Model):
    """One row whose token changes with every change to any post-mortem (postmortems/shared_cache.py):
    figures shared between readers are cached under it, so every process sees a change at once."""

    token = models.CharField(max_length=32)

    def __str__(self):
        return self.token
# Notifications, their outbox, delivery preferences and follows live in their own module.
# Comments on post-mortems live in their own module.
from postmortems.comment_models import Anchor, Comment, ReviewRequest, ReviewState  # noqa: E402, F401
from postmortems.notification_models import (  # noqa: E402, F401
    Delivery,
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    OutboxStatus,
)

# --- Personal API tokens ------------------------------------------------------------------------

API_TOKEN_PREFIX = "hs_"


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    READ_WRITE = "read_write", "Read and write"


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def for_secret(self, secret: str):
        """Return the active token whose secret is `secret`, or None (the secret is compared by its hash)."""
        if not isinstance(secret, str) or not secret.startswith(API_TOKEN_PREFIX) or len(secret) > 100:
            return None
        return self.active().select_related("user").filter(hashed=ApiToken.hash(secret)).first()


class ApiToken(models.Model):
    """A personal token for the JSON API (/api/v1/). Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “PagerDuty sync”.")
    prefix = models.CharField(max_length=16, help_text="The secret's first characters, to recognise it.")
    hashed = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=12, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["user", "-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE


# --- Incoming incident webhooks -----------------------------------------------------------------


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def new_webhook_key() -> str:
    return secrets.token_urlsafe(12)


class WebhookKind(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty (v3 webhooks)"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GENERIC = "generic", "Generic JSON"


def default_severity_mapping() -> dict:
    return {"P1": "sev1", "P2": "sev2", "P3": "sev3", "P4": "sev4", "P5": "sev4",
            "high": "sev2", "low": "sev4", "critical": "sev1", "warning": "sev3", "info": "sev4"}


class IncidentWebhook(models.Model):
    """An address an incident tool posts to; each incident it reports becomes (and then updates) one draft."""

    name = models.CharField(max_length=100, help_text="e.g. “PagerDuty — payments”.")
    key = models.SlugField(max_length=40, unique=True, default=new_webhook_key,
                           help_text="The last part of the address: /api/v1/hooks/<key>/.")
    kind = models.CharField(max_length=20, choices=WebhookKind.choices, help_text="Which tool posts to it.")
    secret = models.CharField(
        max_length=200, default=new_webhook_secret,
        help_text="PagerDuty: the subscription's signing secret. Alertmanager: the bearer token it sends "
        "(http_config.authorization.credentials). Generic: the HMAC-SHA256 key of X-Hindsight-Signature.",
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="The team the drafts are written for.")
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+",
                                 help_text="The template the drafts start from.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               help_text="Credited as the drafts' author (an author or facilitator) until "
                               "someone else takes them over.")
    severity_mapping = models.JSONField(
        default=default_severity_mapping, blank=True,
        help_text="The tool's urgency, priority or severity (e.g. “P1”, “critical”) → sev1…sev4. Unmapped: sev3.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive webhooks answer 404 and write nothing.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = "incoming incident webhook"

    def __str__(self):
        return self.name

    def severity_for(self, value) -> str:
        """Return the severity the tool's `value` maps to; Hindsight's own (sev1…sev4) as given; else sev3."""
        mapping = self.severity_mapping if isinstance(self.severity_mapping, dict) else {}
        mapped = mapping.get(str(value or ""), str(value or "").lower())
        return mapped if mapped in Severity.values else Severity.SEV3


class IncidentLink(models.Model):
    """Which draft an incident reported by a webhook became, so a later event updates the same one."""

    webhook = models.ForeignKey(IncidentWebhook, on_delete=models.CASCADE, related_name="incidents")
    external_id = models.CharField(max_length=200)
    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="incident_links")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["webhook", "external_id"], name="one_draft_per_incident")]

    def __str__(self):
        return f"{self.webhook}: {self.external_id}"
