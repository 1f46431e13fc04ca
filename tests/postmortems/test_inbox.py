"""The inbox: the header's count, the notifications page, marking read, and preferences on the profile."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import notifications, services
from postmortems.models import (
    Delivery,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    OutboxStatus,
    Status,
)
from tests.conftest import PASSWORD, make_user


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def tell(user, postmortem=None, message="Something happened.", kind=NotificationKind.PUBLISHED):
    return notifications.notify(kind=kind, recipient_ids=[user.pk], postmortem=postmortem, message=message)[0]


@pytest.fixture
def published(make_postmortem, author):
    return make_postmortem(title="Queue backlog", status=Status.PUBLISHED, authors=[author])


def test_inbox_lists_my_notifications_and_the_header_counts_unread(client, reader, author, published):
    tell(reader, published, "“Queue backlog” was published.")
    tell(author, published, "Only for the author.")
    response = signed_in(client, reader).get("/notifications/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "“Queue backlog” was published." in body and "Only for the author." not in body
    assert 'class="site-inbox__count">1<' in body


@pytest.mark.parametrize("who", ["reader", "author", "facilitator", "outsider"])
def test_every_role_has_an_inbox_of_its_own(client, request, who, published):
    user = request.getfixturevalue(who)
    tell(user, published, f"For {who}.")
    body = signed_in(client, user).get("/notifications/").content.decode()
    assert f"For {who}." in body


def test_notifications_about_what_became_hidden_leave_the_inbox_and_the_count(client, reader, published, facilitator):
    tell(reader, published, "“Queue backlog” was published.")
    services.postmortem_set_restricted(postmortem=published, user=facilitator, restricted=True)
    body = signed_in(client, reader).get("/notifications/").content.decode()
    assert "Queue backlog" not in body
    assert "site-inbox__count" not in body


def test_draft_notifications_never_reach_readers(make_postmortem, author, reader, facilitator):
    draft = make_postmortem(status=Status.DRAFT, authors=[author])
    assert notifications.notify(kind=NotificationKind.PUBLISHED, recipient_ids=[reader.pk, author.pk],
                                postmortem=draft, message="x") != []
    assert not Notification.objects.filter(recipient=reader).exists()


def test_inbox_needs_sign_in_and_takes_only_get(client, reader):
    assert client.get("/notifications/").status_code == 302
    assert signed_in(client, reader).post("/notifications/").status_code == 405


def test_inbox_queries_do_not_grow_with_notifications(client, reader, make_postmortem):
    signed_in(client, reader)
    pms = [make_postmortem(status=Status.PUBLISHED) for _ in range(3)]
    tell(reader, pms[0])
    with CaptureQueriesContext(connection) as few:
        client.get("/notifications/")
    for pm in pms * 10:
        tell(reader, pm)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/notifications/").status_code == 200
    assert len(few) == len(many)


def test_bad_page_numbers_show_a_page(client, reader, published):
    tell(reader, published)
    for page in ("0", "-1", "99999999999999999999", "abc", "1\x00"):
        assert signed_in(client, reader).get("/notifications/", {"page": page}).status_code == 200


def test_mark_read_opens_what_it_is_about(client, reader, published):
    n = tell(reader, published)
    response = signed_in(client, reader).post(f"/notifications/{n.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == f"/postmortems/{published.slug}/"
    n.refresh_from_db()
    assert n.is_read
    signed_in(client, reader).post(f"/notifications/{n.pk}/read/", {"read": "0"})
    n.refresh_from_db()
    assert not n.is_read


def test_nobody_marks_another_persons_notification(client, reader, author, facilitator, published):
    n = tell(author, published)
    for user in (reader, facilitator):
        assert signed_in(client, user).post(f"/notifications/{n.pk}/read/").status_code == 404
    n.refresh_from_db()
    assert not n.is_read


def test_mark_read_takes_only_post(client, reader, published):
    n = tell(reader, published)
    assert signed_in(client, reader).get(f"/notifications/{n.pk}/read/").status_code == 405
    assert client.get("/notifications/read-all/").status_code == 405


def test_mark_all_read_marks_only_mine(client, reader, author, published):
    tell(reader, published)
    tell(reader, published)
    theirs = tell(author, published)
    response = signed_in(client, reader).post("/notifications/read-all/", follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert not Notification.objects.filter(recipient=reader, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_profile_shows_and_saves_preferences(client, reader, published):
    tell(reader, published)  # an email waiting for a kind about to go to the digest
    body = signed_in(client, reader).get("/profile/").content.decode()
    assert 'id="notification-preferences"' in body and "Inbox only" in body
    data = {kind: Delivery.EMAIL for kind in NotificationKind.values}
    data[NotificationKind.PUBLISHED] = Delivery.INBOX
    response = client.post("/profile/notifications/", data)
    assert response.status_code == 302 and response["Location"] == "/profile/"
    assert notifications.preferences_of(reader)[NotificationKind.PUBLISHED] == Delivery.INBOX
    assert OutboxMessage.objects.get().status == OutboxStatus.SKIPPED


@pytest.mark.parametrize("value", ["carrier-pigeon", "", "email\x00", "x" * 10_000, Delivery.DIGEST])
def test_bad_preferences_change_nothing(client, reader, value):
    data = {kind: Delivery.INBOX for kind in NotificationKind.values}
    data[NotificationKind.SENT_BACK] = value
    response = signed_in(client, reader).post("/profile/notifications/", data, follow=True)
    assert response.status_code == 200 and "nothing was changed" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_preferences_take_only_post(client, reader):
    assert signed_in(client, reader).get("/profile/notifications/").status_code == 405


def test_hostile_notification_text_is_escaped(client, reader, published):
    tell(reader, published, '<script>alert("x")</script>')
    body = signed_in(client, reader).get("/notifications/").content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_a_thousand_notifications_page(client, make_postmortem):
    many = make_user("many", "Readers")
    pm = make_postmortem(status=Status.PUBLISHED)
    notifications.notify(kind=NotificationKind.PUBLISHED, recipient_ids=[many.pk], postmortem=pm, message="one")
    Notification.objects.bulk_create(
        Notification(recipient=many, kind=NotificationKind.PUBLISHED, postmortem=pm, message=f"n{i}")
        for i in range(1000)
    )
    body = signed_in(client, many).get("/notifications/", {"page": "21"}).content.decode()
    assert ">one<" in body  # the oldest, alone on the 21st page of 50
    assert body.count('id="notification-') == 1
