"""Notifications: who hears of what, the outbox written with the event, and delivery through real SMTP."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import Tag

from knowledge.models import ReadingList
from knowledge.services import reading_list_append
from postmortems import delivery, notifications, services
from postmortems.models import (
    ActionItem,
    Delivery,
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    OutboxStatus,
    Status,
)
from tests.conftest import make_user


def kinds_for(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def send(**options):
    call_command("send_notifications", stdout=open("/dev/null", "w"), **options)


@pytest.fixture
def in_review(make_postmortem, author, team):
    pm = make_postmortem(title="Checkout outage", status=Status.IN_REVIEW, authors=[author])
    pm.teams.add(team)
    pm.tags.add("payments-db")
    return pm


# --- Who hears of what ----------------------------------------------------------------------------


def test_publishing_tells_authors_and_followers_of_its_tags_teams_and_itself(in_review, author, facilitator, team):
    tag_fan, team_fan, pm_fan, unrelated = (make_user(n, "Readers") for n in ("tagfan", "teamfan", "pmfan", "nobody"))
    Follow.objects.create(user=tag_fan, tag=Tag.objects.get(name="payments-db"))
    Follow.objects.create(user=team_fan, team=team)
    Follow.objects.create(user=pm_fan, postmortem=in_review)
    Follow.objects.create(user=unrelated, tag=Tag.objects.create(name="dns", slug="dns"))

    services.postmortem_publish(postmortem=in_review, user=facilitator)

    told = set(Notification.objects.filter(kind=NotificationKind.PUBLISHED).values_list("recipient__username",
                                                                                        flat=True))
    assert told == {"arthur", "tagfan", "teamfan", "pmfan"}  # not the facilitator who published it, not "nobody"
    assert OutboxMessage.objects.count() == 4


def test_restricted_publication_reaches_no_follower_who_may_not_see_it(make_postmortem, author, facilitator, team):
    pm = make_postmortem(status=Status.IN_REVIEW, authors=[author], restricted=True)
    pm.teams.add(team)
    Follow.objects.create(user=make_user("teamfan", "Readers"), team=team)
    services.postmortem_publish(postmortem=pm, user=facilitator)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"arthur"}


def test_publication_fan_out_takes_the_same_queries_for_3_or_60_followers(make_postmortem, author, facilitator, team):
    def queries_for(followers: int) -> int:
        pm = make_postmortem(status=Status.PUBLISHED, authors=[author])
        pm.teams.add(team)
        for i in range(followers):
            Follow.objects.get_or_create(user=make_user(f"fan{followers}-{i}", "Readers"), team=team)
        with CaptureQueriesContext(connection) as ctx:
            notifications.published(postmortem=pm, user=facilitator)
        return len(ctx)

    few = queries_for(3)
    many = queries_for(60)
    assert few == many
    assert Notification.objects.filter(kind=NotificationKind.PUBLISHED).count() == 4 + 64


def test_submitting_asks_facilitators_and_sending_back_tells_authors_with_the_comment(
    make_postmortem, author, other_author, facilitator
):
    pm = make_postmortem(authors=[author, other_author])
    services.postmortem_submit_for_review(postmortem=pm, user=author)
    assert kinds_for(facilitator) == [NotificationKind.REVIEW_REQUESTED]
    assert kinds_for(other_author) == []  # authors are not asked to review their own write-up
    services.postmortem_send_back(postmortem=pm, user=facilitator, comment="Say how the alert was seen.")
    back = Notification.objects.get(recipient=author, kind=NotificationKind.SENT_BACK)
    assert back.note == "Say how the alert was seen."
    assert kinds_for(other_author) == [NotificationKind.SENT_BACK]


def test_an_event_rolled_back_leaves_no_notification_and_sends_nothing(in_review, author, facilitator, mail_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.postmortem_publish(postmortem=in_review, user=facilitator)
        assert Notification.objects.filter(recipient=author).exists()
        raise RuntimeError("the request failed after publishing")
    assert not Notification.objects.exists() and not OutboxMessage.objects.exists()
    send()
    assert mail_server.messages == []


def test_action_item_owner_hears_once_when_assigned(make_postmortem, author, other_author, facilitator):
    pm = make_postmortem(authors=[author, other_author])
    services.postmortem_record_change(postmortem=pm, user=author, action="created")
    doc = services.document_of(pm)
    doc["action_items"] = [{"id": None, "title": "Alert on queue depth", "description": "", "kind": "detect",
                            "priority": "high", "owner": "olga", "due_date": None, "status": "open",
                            "wont_do_reason": "", "tracker_url": ""}]
    services.postmortem_save(postmortem=pm, user=author, base_version=pm.version, document=doc)
    assert kinds_for(other_author) == [NotificationKind.ACTION_ASSIGNED]
    doc = services.document_of(pm)
    doc["action_items"][0]["title"] = "Alert on queue depth above 1,000"
    services.postmortem_save(postmortem=pm, user=author, base_version=pm.version, document=doc)
    assert kinds_for(other_author) == [NotificationKind.ACTION_ASSIGNED]  # an edit is not a new assignment


def test_draft_action_item_owner_who_cannot_see_the_draft_is_not_told(make_postmortem, author, reader):
    pm = make_postmortem(authors=[author])
    services.postmortem_record_change(postmortem=pm, user=author, action="created")
    doc = services.document_of(pm)
    doc["action_items"] = [{"id": None, "title": "Secret fix", "description": "", "kind": "detect",
                            "priority": "high", "owner": "rita", "due_date": None, "status": "open",
                            "wont_do_reason": "", "tracker_url": ""}]
    services.postmortem_save(postmortem=pm, user=author, base_version=pm.version, document=doc)
    assert not Notification.objects.filter(recipient=reader).exists()


def test_authors_hear_when_their_post_mortem_joins_a_reading_list(make_postmortem, author, facilitator):
    pm = make_postmortem(status=Status.PUBLISHED, authors=[author])
    rl = ReadingList.objects.create(title="First week", slug="first-week")
    reading_list_append(reading_list=rl, postmortems=type(pm).objects.filter(pk=pm.pk), user=facilitator)
    reading_list_append(reading_list=rl, postmortems=type(pm).objects.filter(pk=pm.pk), user=facilitator)
    n = Notification.objects.get(recipient=author)
    assert n.kind == NotificationKind.READING_LIST_ADDED and "First week" in n.message


def test_inbox_only_and_digest_preferences_write_no_email(in_review, author, facilitator):
    NotificationPreference.objects.create(user=author, kind=NotificationKind.PUBLISHED, delivery=Delivery.INBOX)
    services.postmortem_publish(postmortem=in_review, user=facilitator)
    assert Notification.objects.filter(recipient=author).count() == 1
    assert not OutboxMessage.objects.exists()


# --- Reminders ------------------------------------------------------------------------------------


def test_reminders_due_soon_and_overdue_weekly_until_done(make_postmortem, author):
    pm = make_postmortem(status=Status.PUBLISHED, authors=[author])
    today = timezone.localdate()
    soon = ActionItem.objects.create(postmortem=pm, title="Soon", owner=author, due_date=today + timedelta(days=3))
    ActionItem.objects.create(postmortem=pm, title="Later", owner=author, due_date=today + timedelta(days=60))
    late = ActionItem.objects.create(postmortem=pm, title="Late", owner=author, due_date=today - timedelta(days=1))
    assert notifications.raise_reminders(today) == 2
    assert notifications.raise_reminders(today) == 0  # the same day again: nothing new
    assert notifications.raise_reminders(today + timedelta(days=2)) == 0  # told already, same overdue week
    soon.set_status("done")
    soon.save()
    assert notifications.raise_reminders(today + timedelta(days=6)) == 1  # a week overdue: told again
    assert notifications.raise_reminders(today + timedelta(days=6)) == 0
    late.set_status("wont_do", "Replaced by the new queue")
    late.save()
    assert notifications.raise_reminders(today + timedelta(days=30)) == 0
    assert kinds_for(author) == [NotificationKind.ACTION_DUE_SOON, NotificationKind.ACTION_OVERDUE,
                                 NotificationKind.ACTION_OVERDUE]


# --- Delivery through a real SMTP server ------------------------------------------------------------


def test_send_notifications_delivers_text_html_and_one_click_unsubscribe(in_review, author, facilitator, mail_server):
    services.postmortem_publish(postmortem=in_review, user=facilitator)
    send()
    assert len(mail_server.messages) == 1
    message = mail_server.messages[0]
    assert message["To"] == "arthur@example.com"
    # Django folds a non-ASCII subject onto a continuation line; mail readers drop the fold's space.
    assert message["Subject"].strip() == "[Hindsight] “Checkout outage” was published."
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:8000/notifications/unsubscribe/")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"http://127.0.0.1:8000/postmortems/{in_review.slug}/" in text and unsubscribe in text
    assert f'href="http://127.0.0.1:8000/postmortems/{in_review.slug}/"' in html
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT

    send()  # idempotent: nothing more to send
    assert len(mail_server.messages) == 1


def test_one_click_unsubscribe_stops_that_kind_of_email(client, in_review, author, facilitator, mail_server):
    services.postmortem_publish(postmortem=in_review, user=facilitator)
    send()
    path = mail_server.messages[0]["List-Unsubscribe"].strip().strip("<>").removeprefix("http://127.0.0.1:8000")
    response = client.post(path, {"List-Unsubscribe": "One-Click"})  # no session, no CSRF token: RFC 8058
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=author, kind=NotificationKind.PUBLISHED).delivery == Delivery.INBOX
    pm2 = type(in_review).objects.create(title="Second", slug="second", status=Status.IN_REVIEW)
    pm2.authors.add(author)
    services.postmortem_publish(postmortem=pm2, user=facilitator)
    send()
    assert len(mail_server.messages) == 1
    assert Notification.objects.filter(recipient=author).count() == 2  # still in the inbox


def test_unsubscribe_page_asks_first_and_refuses_forged_tokens(client, author):
    token = delivery.unsubscribe_token(author.pk, NotificationKind.PUBLISHED)
    response = client.get(f"/notifications/unsubscribe/{token}/")
    assert response.status_code == 200 and b"Stop getting" in response.content
    assert not NotificationPreference.objects.exists()
    for bad in (token[:-2] + "xx", "nonsense", delivery.unsubscribe_token(author.pk, "no-such-kind"),
                delivery.unsubscribe_token(99999, NotificationKind.PUBLISHED)):
        assert client.post(f"/notifications/unsubscribe/{bad}/").status_code == 400
    assert client.put(f"/notifications/unsubscribe/{token}/").status_code == 405
    assert not NotificationPreference.objects.exists()


def test_failed_sends_are_retried_with_backoff_then_given_up(in_review, author, facilitator, mail_server):
    services.postmortem_publish(postmortem=in_review, user=facilitator)
    mail_server.inbox.refuse = True
    now = timezone.now()
    report = delivery.deliver_due(now=now)
    row = OutboxMessage.objects.get()
    assert (report.retrying, row.attempts, row.status) == (1, 1, OutboxStatus.PENDING)
    assert row.due_at == now + timedelta(minutes=1) and "451" in row.last_error
    assert delivery.deliver_due(now=now + timedelta(seconds=30)).retrying == 0  # not due yet
    delivery.deliver_due(now=now + timedelta(minutes=1))
    row.refresh_from_db()
    assert row.due_at == now + timedelta(minutes=1) + timedelta(minutes=2)
    mail_server.inbox.refuse = False
    assert delivery.deliver_due(now=now + timedelta(minutes=3)).sent == 1
    assert len(mail_server.messages) == 1


def test_gives_up_after_max_attempts(in_review, author, facilitator, mail_server):
    services.postmortem_publish(postmortem=in_review, user=facilitator)
    mail_server.inbox.refuse = True
    when = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.deliver_due(now=when)
        when += delivery.LONGEST_RETRY
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, delivery.MAX_ATTEMPTS)
    assert delivery.retry_delay(30) == delivery.LONGEST_RETRY


def test_a_server_that_is_down_leaves_emails_waiting(in_review, author, facilitator, settings):
    from tests.mailserver import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    services.postmortem_publish(postmortem=in_review, user=facilitator)
    report = delivery.deliver_due()
    assert report.retrying == 1
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING


def test_email_is_not_sent_about_what_became_hidden(make_postmortem, author, other_author, facilitator, mail_server):
    pm = make_postmortem(status=Status.PUBLISHED, authors=[author])
    fan = make_user("fan", "Readers")
    Follow.objects.create(user=fan, postmortem=pm)
    notifications.amendment_published(postmortem=pm, user=facilitator)
    services.postmortem_set_restricted(postmortem=pm, user=facilitator, restricted=True)
    send()
    assert [m["To"] for m in mail_server.messages] == ["arthur@example.com"]
    assert OutboxMessage.objects.get(notification__recipient=fan).status == OutboxStatus.SKIPPED


def test_the_loop_runs_as_a_worker(in_review, author, facilitator, mail_server):
    services.postmortem_publish(postmortem=in_review, user=facilitator)
    send(loop=True, interval=0, runs=2)
    assert len(mail_server.messages) == 1


def test_command_refuses_bad_options():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        send(loop=True, interval=-1, runs=1)
