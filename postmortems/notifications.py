"""Raising notifications: who hears of an event, in their inbox and (through the outbox) by email.

Every function here is called inside the service that makes the change (postmortems/services.py),
so the notifications and their outbox rows commit or roll back with the event itself. Nobody is
told of a post-mortem they may not see: recipients are checked against its visibility when the
event is raised, and again when the email is sent and the inbox is shown.

A fan-out takes a fixed number of queries whatever the number of recipients: one for followers,
one for visibility, one for preferences and the bulk inserts.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from postmortems.models import (
    ActionItem,
    Delivery,
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    PostMortem,
)

DEFAULT_DELIVERY = {kind: Delivery.EMAIL for kind in NotificationKind.values}
DUE_SOON_DAYS = 3
OVERDUE_REPEAT_DAYS = 7


def facilitator_filter(prefix: str = "") -> Q:
    """Return a filter on users (or on `prefix`-related users) for those who hold the facilitator permission."""
    perm = {"codename": "publish_postmortem", "content_type__app_label": "postmortems"}
    return (
        Q(**{f"{prefix}is_superuser": True})
        | Q(**{f"{prefix}groups__permissions__{k}": v for k, v in perm.items()})
        | Q(**{f"{prefix}user_permissions__{k}": v for k, v in perm.items()})
    )


def visible_recipient_ids(postmortem: PostMortem, user_ids: Iterable[int]) -> set[int]:
    """Return those of `user_ids` who are active and may see `postmortem`, in one query."""
    users = get_user_model().objects.filter(pk__in=set(user_ids), is_active=True)
    if not postmortem.is_open_to_readers():
        authors = PostMortem.authors.through.objects.filter(postmortem_id=postmortem.pk).values("user_id")
        users = users.filter(Q(pk__in=authors) | Q(pk=postmortem.facilitator_id) | facilitator_filter())
    return set(users.values_list("pk", flat=True).distinct())


def work_in_progress_ids(postmortem: PostMortem, user_ids: Iterable[int]) -> set[int]:
    """Return those of `user_ids` who may see `postmortem`'s work in progress (its authors, its facilitator and
    facilitators), in one query."""
    authors = PostMortem.authors.through.objects.filter(postmortem_id=postmortem.pk).values("user_id")
    users = get_user_model().objects.filter(pk__in=set(user_ids), is_active=True).filter(
        Q(pk__in=authors) | Q(pk=postmortem.facilitator_id) | facilitator_filter()
    )
    return set(users.values_list("pk", flat=True).distinct())


def notify(
    *,
    kind: str,
    recipient_ids: Iterable[int],
    message: str,
    postmortem: PostMortem | None = None,
    action_item: ActionItem | None = None,
    comment=None,
    note: str = "",
    actor=None,
    key: str = "",
) -> list[Notification]:
    """Tell each of `recipient_ids` (but the `actor`) of an event; return the notifications made.

    Each gets an inbox entry; those who take `kind` by email get an outbox row too. With `key`, a
    person already told for that key is not told again.
    """
    ids = set(recipient_ids) - {getattr(actor, "pk", None), None}
    if postmortem is not None and ids:
        ids = visible_recipient_ids(postmortem, ids)
    if key and ids:
        ids -= set(Notification.objects.filter(recipient_id__in=ids, key=key).values_list("recipient_id", flat=True))
    if not ids:
        return []
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "delivery")
    )
    now = timezone.now()
    made = Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id, kind=kind, postmortem=postmortem, action_item=action_item, comment=comment,
            message=message[:300], note=note, key=key, created_at=now,
            delivery=chosen.get(user_id, DEFAULT_DELIVERY[kind]),
        )
        for user_id in sorted(ids)
    )
    OutboxMessage.objects.bulk_create(
        OutboxMessage(notification=n, due_at=now, created_at=now) for n in made if n.delivery == Delivery.EMAIL
    )
    return made


def _title(postmortem: PostMortem) -> str:
    title = postmortem.title
    return f"“{title if len(title) <= 120 else title[:119] + '…'}”"


def _author_ids(postmortem: PostMortem) -> set[int]:
    return set(PostMortem.authors.through.objects.filter(postmortem_id=postmortem.pk).values_list("user_id", flat=True))


def _facilitator_ids() -> set[int]:
    return set(
        get_user_model().objects.filter(facilitator_filter(), is_active=True).values_list("pk", flat=True).distinct()
    )


def follower_ids(postmortem: PostMortem) -> set[int]:
    """Return who follows `postmortem`, one of its teams or one of its tags, in one query."""
    teams = PostMortem.teams.through.objects.filter(postmortem_id=postmortem.pk).values("team_id")
    tags = postmortem.tags.through.objects.filter(
        object_id=postmortem.pk, content_type__app_label="postmortems", content_type__model="postmortem"
    ).values("tag_id")
    return set(
        Follow.objects.filter(Q(postmortem_id=postmortem.pk) | Q(team_id__in=teams) | Q(tag_id__in=tags))
        .values_list("user_id", flat=True)
        .distinct()
    )


# --- Events ------------------------------------------------------------------------------------


def review_requested(*, postmortem: PostMortem, user, amendment: bool = False) -> list[Notification]:
    """Tell the post-mortem's facilitator (or, without one, every facilitator) that it waits for review."""
    recipients = {postmortem.facilitator_id} if postmortem.facilitator_id else _facilitator_ids()
    what = "An amendment of " if amendment else ""
    return notify(kind=NotificationKind.REVIEW_REQUESTED, recipient_ids=recipients, postmortem=postmortem,
                  actor=user, message=f"{what or ''}{_title(postmortem)} is waiting for review.")


def sent_back(*, postmortem: PostMortem, user, comment: str, amendment: bool = False) -> list[Notification]:
    """Tell the authors their post-mortem (or its amendment) came back, with the facilitator's comment."""
    what = "The amendment of " if amendment else ""
    return notify(kind=NotificationKind.SENT_BACK, recipient_ids=_author_ids(postmortem), postmortem=postmortem,
                  actor=user, note=comment, message=f"{what}{_title(postmortem)} was sent back for changes.")


def published(*, postmortem: PostMortem, user) -> list[Notification]:
    """Tell its authors, its facilitator and the followers of it, its tags and its teams that it is published."""
    recipients = _author_ids(postmortem) | {postmortem.facilitator_id} | follower_ids(postmortem)
    return notify(kind=NotificationKind.PUBLISHED, recipient_ids=recipients, postmortem=postmortem, actor=user,
                  message=f"{_title(postmortem)} was published.")


def amendment_published(*, postmortem: PostMortem, user) -> list[Notification]:
    """Tell its authors and the followers of it, its tags and its teams that its amendment is published."""
    recipients = _author_ids(postmortem) | follower_ids(postmortem)
    return notify(kind=NotificationKind.AMENDMENT_PUBLISHED, recipient_ids=recipients, postmortem=postmortem,
                  actor=user, message=f"An amendment of {_title(postmortem)} was published.")


def action_item_owners(postmortem: PostMortem) -> dict[int, int | None]:
    """Return {action item id: owner id} of `postmortem` (before a save, for `action_items_assigned`)."""
    return dict(ActionItem.objects.filter(postmortem=postmortem).values_list("pk", "owner_id"))


def action_items_assigned(*, postmortem: PostMortem, before: dict[int, int | None], user) -> list[Notification]:
    """Tell each person who owns an action item they did not own before the save."""
    made = []
    for item in ActionItem.objects.filter(postmortem=postmortem, owner__isnull=False):
        if before.get(item.pk) != item.owner_id:
            made += notify(kind=NotificationKind.ACTION_ASSIGNED, recipient_ids=[item.owner_id],
                           postmortem=postmortem, action_item=item, actor=user,
                           message=f"“{item.title}” from {_title(postmortem)} is yours to follow up.")
    return made


def added_to_reading_list(*, postmortems: Iterable[PostMortem], reading_list_title: str, user) -> list[Notification]:
    """Tell the authors of each post-mortem that it was added to the reading list `reading_list_title`."""
    made = []
    for postmortem in postmortems:
        made += notify(kind=NotificationKind.READING_LIST_ADDED, recipient_ids=_author_ids(postmortem),
                       postmortem=postmortem, actor=user,
                       message=f"{_title(postmortem)} was added to the reading list “{reading_list_title[:100]}”.")
    return made


# --- Reminders (raised by send_notifications) -----------------------------------------------------


def raise_reminders(today: date | None = None) -> int:
    """Remind owners of open action items due within DUE_SOON_DAYS, and of overdue ones every
    OVERDUE_REPEAT_DAYS until done; return how many reminders were raised. Running it again the
    same day raises nothing new (each reminder has a key)."""
    today = today or timezone.localdate()
    items = (
        ActionItem.objects.still_open()
        .filter(owner__isnull=False, due_date__isnull=False, due_date__lte=today + timedelta(days=DUE_SOON_DAYS))
        .select_related("postmortem")
    )
    count = 0
    for item in items:
        if item.due_date >= today:
            kind, key = NotificationKind.ACTION_DUE_SOON, f"due:{item.pk}:{item.due_date.isoformat()}"
            message = f"“{item.title}” is due on {item.due_date.day} {item.due_date:%B %Y}."
        else:
            weeks = (today - item.due_date).days // OVERDUE_REPEAT_DAYS
            kind, key = NotificationKind.ACTION_OVERDUE, f"overdue:{item.pk}:{item.due_date.isoformat()}:{weeks}"
            message = f"“{item.title}” was due on {item.due_date.day} {item.due_date:%B %Y} and is still open."
        try:
            with transaction.atomic():
                count += len(notify(kind=kind, recipient_ids=[item.owner_id], postmortem=item.postmortem,
                                    action_item=item, message=message, key=key))
        except IntegrityError:  # another worker raised the same reminder a moment ago
            continue
    return count


# --- The inbox and preferences -------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, notification: Notification, user, read: bool = True) -> None:
    """Mark one of `user`'s notifications read (or unread again)."""
    if notification.recipient_id != user.pk:
        raise PermissionError("Only its recipient marks a notification read.")
    notification.read_at = timezone.now() if read else None
    notification.save(update_fields=["read_at"])


@transaction.atomic
def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of `user` read; return how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, user, choices: dict[str, str]) -> None:
    """Store how `user` hears of each kind in `choices` ({kind: delivery}); kinds left out keep theirs.

    Emails of a kind no longer delivered by email that are still waiting are not sent.
    """
    for kind, choice in choices.items():
        if kind not in NotificationKind.values or choice not in Delivery.values:
            raise ValueError(f"Unknown kind or delivery: {kind!r}, {choice!r}")
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": choice})
    stopped = [kind for kind, choice in choices.items() if choice != Delivery.EMAIL]
    OutboxMessage.objects.filter(
        notification__recipient=user, notification__kind__in=stopped, status="pending"
    ).update(status="skipped", last_error="The recipient chose not to get these by email.")


def preferences_of(user) -> dict[str, str]:
    """Return {kind: delivery} for every kind, `user`'s choice or the default."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULT_DELIVERY[kind]) for kind in NotificationKind.values}


def unread_count(user) -> int:
    """Return how many notifications `user` has not read, about what they may still see."""
    return Notification.objects.for_inbox(user).unread().count()
