"""Sending the outbox: what `manage.py send_notifications` does once per run.

Emails go through Django's email backend (SMTP when EMAIL_HOST is set; the console in `make run`),
over one connection per batch. A message whose send fails is tried again after 1, 2, 4… minutes
(at most six hours apart) and given up after MAX_ATTEMPTS. Rows are claimed with
SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so two workers never send the same email; a
worker killed in the middle of a batch may send that batch's emails again (at least once, never
lost).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from postmortems.models import Delivery, Notification, NotificationPreference, OutboxMessage, OutboxStatus
from postmortems.notifications import visible_recipient_ids

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
BATCH_SIZE = 200
GIVE_UP_RUN_AFTER = 3  # failures in a row end the run: the server is down, the next run tries again
UNSUBSCRIBE_SALT = "hindsight.unsubscribe"


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    failing_in_a_row: int = 0


def retry_delay(attempts: int) -> timedelta:
    """Return how long to wait before the next try after `attempts` failed ones (1, 2, 4… minutes)."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_token(user_id: int, kind: str) -> str:
    """Return a signed token that stops email of `kind` to user `user_id` (it does not expire)."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """Return (user id, kind) from an unsubscribe token; raise signing.BadSignature if it is not one of ours."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        raise signing.BadSignature("Malformed unsubscribe token.")
    return data["u"], data["k"]


@transaction.atomic
def unsubscribe(*, user_id: int, kind: str) -> None:
    """Stop email of `kind` to the user (it stays in their inbox); emails of it still waiting are not sent."""
    NotificationPreference.objects.update_or_create(user_id=user_id, kind=kind, defaults={"delivery": Delivery.INBOX})
    OutboxMessage.objects.filter(
        notification__recipient_id=user_id, notification__kind=kind, status=OutboxStatus.PENDING
    ).update(status=OutboxStatus.SKIPPED, last_error="The recipient stopped these emails.")


def build_email(notification: Notification, connection=None) -> EmailMultiAlternatives:
    """Return the email telling `notification` (text and HTML, with one-click unsubscribe headers)."""
    recipient = notification.recipient
    unsubscribe_url = site_url(reverse("notification_unsubscribe", args=[unsubscribe_token(recipient.pk,
                                                                                           notification.kind)]))
    ctx = {
        "notification": notification,
        "recipient": recipient,
        "postmortem_url": site_url(notification.postmortem.get_absolute_url()) if notification.postmortem else "",
        "inbox_url": site_url(reverse("notification_list")),
        "preferences_url": site_url(reverse("profile")),
        "unsubscribe_url": unsubscribe_url,
    }
    message = EmailMultiAlternatives(
        subject=f"[Hindsight] {notification.message}",
        body=render_to_string("postmortems/email/notification.txt", ctx),
        to=[recipient.email],
        connection=connection,
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(render_to_string("postmortems/email/notification.html", ctx), "text/html")
    return message


def _may_receive(rows: list[OutboxMessage]) -> set[int]:
    """Return the ids of `rows` whose recipient has an address, is active and may still see what it is about."""
    allowed = set()
    by_postmortem: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        n = row.notification
        if not n.recipient.is_active or not n.recipient.email:
            continue
        if n.postmortem_id is None:
            allowed.add(row.pk)
        else:
            by_postmortem.setdefault(n.postmortem_id, []).append(row)
    for group in by_postmortem.values():
        visible = visible_recipient_ids(group[0].notification.postmortem, {r.notification.recipient_id for r in group})
        allowed |= {r.pk for r in group if r.notification.recipient_id in visible}
    return allowed


def deliver_due(*, now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Send the outbox's emails that are due; return what happened to them."""
    now = now or timezone.now()
    report = DeliveryReport()
    done = 0
    connection = get_connection()
    try:
        connection.open()
    except Exception as error:  # the server is down: the first send fails and is retried later
        log.warning("Could not connect to the mail server: %s", error)
    try:
        while (limit is None or done < limit) and report.failing_in_a_row < GIVE_UP_RUN_AFTER:
            size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - done)
            if not _deliver_batch(now=now, size=size, connection=connection, report=report):
                break
            done += size
    finally:
        _reset(connection)
    return report


@transaction.atomic
def _deliver_batch(*, now, size, connection, report) -> int:
    rows = list(
        OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=OutboxStatus.PENDING, due_at__lte=now)
        .select_related("notification__recipient", "notification__postmortem", "notification__action_item")
        .order_by("due_at", "id")[:size]
    )
    if not rows:
        return 0
    allowed = _may_receive(rows)
    for row in rows:
        if report.failing_in_a_row >= GIVE_UP_RUN_AFTER:
            break  # the rest of the batch stays as it was, due now
        if row.pk not in allowed:
            row.status, row.last_error = OutboxStatus.SKIPPED, "The recipient has no address or may not see this."
            report.skipped += 1
            continue
        row.attempts += 1
        try:
            build_email(row.notification, connection).send()
        except Exception as error:  # any failure of the mail server: try again later
            log.warning("Email %s to user %s failed (attempt %s): %s", row.pk, row.notification.recipient_id,
                        row.attempts, error)
            row.last_error = f"{type(error).__name__}: {error}"[:1000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = OutboxStatus.FAILED
                report.failed += 1
            else:
                row.due_at = now + retry_delay(row.attempts)
                report.retrying += 1
            report.failing_in_a_row += 1
            _reset(connection)
            continue
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, timezone.now(), ""
        report.sent += 1
        report.failing_in_a_row = 0
    OutboxMessage.objects.bulk_update(rows, ["status", "attempts", "due_at", "sent_at", "last_error"])
    return len(rows)


def _reset(connection) -> None:
    """Drop a connection that failed, so the next message opens a fresh one."""
    try:
        connection.close()
    except Exception:  # already broken
        pass
