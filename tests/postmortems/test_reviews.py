"""Named reviewers: authors ask, facilitators assign, reviewers approve or request changes; publishing names them."""

import pytest
from django.core.exceptions import ValidationError

from postmortems import reviews, services
from postmortems.models import Notification, NotificationKind, ReviewRequest, ReviewState, Revision, Status
from tests.factories import PASSWORD, make_user


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def in_review(make_postmortem, author, other_author):
    return make_postmortem(title="Queue backlog", status=Status.IN_REVIEW, authors=[author, other_author])


def test_author_asks_a_co_author_and_a_facilitator(client, in_review, author, other_author, facilitator):
    signed_in(client, author)
    for person in (other_author, facilitator):
        response = client.post(f"/postmortems/{in_review.slug}/reviewers/", {"reviewer": person.pk})
        assert response.status_code == 302 and response["Location"] == f"/postmortems/{in_review.slug}/#reviewers"
    assert set(ReviewRequest.objects.values_list("reviewer__username", "state")) == {
        ("olga", ReviewState.PENDING), ("fiona", ReviewState.PENDING)}
    assert Notification.objects.filter(recipient=facilitator, kind=NotificationKind.REVIEW_REQUESTED,
                                       message__contains="asked for your review").exists()
    page = client.get(f"/postmortems/{in_review.slug}/").content.decode()
    assert "Olga Other" in page and "Review requested" in page


def test_facilitator_assigns(in_review, facilitator, other_author):
    second = make_user("fred", "Facilitators", staff=True)
    reviews.reviewers_request(postmortem=in_review, user=facilitator, reviewers=[second])
    assert Notification.objects.get(recipient=second).kind == NotificationKind.REVIEWER_ASSIGNED


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_only_eligible_people_are_reviewers(client, in_review, author, request, who):
    person = request.getfixturevalue(who)
    response = signed_in(client, author).post(f"/postmortems/{in_review.slug}/reviewers/", {"reviewer": person.pk},
                                              follow=True)
    assert "Reviewers are facilitators or the post-mortem" in response.content.decode()
    assert not ReviewRequest.objects.exists()


def test_nobody_reviews_their_own_request_or_sees_a_stranger(client, in_review, author, facilitator):
    with pytest.raises(ValidationError):
        reviews.reviewers_request(postmortem=in_review, user=author, reviewers=[author])
    stranger = make_user("stranger", "Authors")
    response = signed_in(client, author).post(f"/postmortems/{in_review.slug}/reviewers/",
                                              {"reviewer": stranger.pk}, follow=True)
    assert "not stranger" in response.content.decode()


@pytest.mark.parametrize("value", ["", "abc", "99999999", "-1", "1\x00"])
def test_bad_reviewer_values_save_nothing(client, in_review, author, value):
    response = signed_in(client, author).post(f"/postmortems/{in_review.slug}/reviewers/", {"reviewer": value})
    assert response.status_code == 302
    assert not ReviewRequest.objects.exists()


@pytest.mark.parametrize("who,status", [("reader", 404), ("outsider", 404)])
def test_people_who_cannot_see_the_draft_get_404(client, in_review, facilitator, request, who, status):
    user = request.getfixturevalue(who)
    signed_in(client, user)
    assert client.post(f"/postmortems/{in_review.slug}/reviewers/", {"reviewer": facilitator.pk}).status_code == status
    assert client.post(f"/postmortems/{in_review.slug}/review/", {"decision": "approve"}).status_code == status


def test_reviewer_approves_and_requests_changes_with_a_note(client, in_review, author, facilitator):
    reviews.reviewers_request(postmortem=in_review, user=author, reviewers=[facilitator])
    signed_in(client, facilitator)
    refused = client.post(f"/postmortems/{in_review.slug}/review/", {"decision": "changes", "note": " "}, follow=True)
    assert "Say what should change" in refused.content.decode()
    client.post(f"/postmortems/{in_review.slug}/review/", {"decision": "changes", "note": "Add the graph."})
    r = ReviewRequest.objects.get()
    assert (r.state, r.note) == (ReviewState.CHANGES_REQUESTED, "Add the graph.")
    assert Notification.objects.get(recipient=author, kind=NotificationKind.CHANGES_REQUESTED).note == "Add the graph."
    client.post(f"/postmortems/{in_review.slug}/review/", {"decision": "approve"})
    r.refresh_from_db()
    assert r.state == ReviewState.APPROVED
    assert Notification.objects.filter(recipient=author, kind=NotificationKind.APPROVED).exists()


def test_only_named_reviewers_decide(client, in_review, author, facilitator):
    assert signed_in(client, author).post(f"/postmortems/{in_review.slug}/review/",
                                          {"decision": "approve"}).status_code == 403
    reviews.reviewers_request(postmortem=in_review, user=author, reviewers=[facilitator])
    bad = signed_in(client, facilitator).post(f"/postmortems/{in_review.slug}/review/", {"decision": "maybe"},
                                              follow=True)
    assert "Choose “Approve” or “Request changes”" in bad.content.decode()
    assert ReviewRequest.objects.get().state == ReviewState.PENDING


def test_wrong_methods(client, in_review, author):
    signed_in(client, author)
    assert client.get(f"/postmortems/{in_review.slug}/reviewers/").status_code == 405
    assert client.get(f"/postmortems/{in_review.slug}/review/").status_code == 405


def test_publishing_records_who_approved(in_review, author, other_author, facilitator):
    reviews.reviewers_request(postmortem=in_review, user=author, reviewers=[other_author, facilitator])
    reviews.review_decide(postmortem=in_review, user=other_author, approve=True)
    services.postmortem_publish(postmortem=in_review, user=facilitator)
    assert Revision.objects.get(postmortem=in_review, action="published").comment == "Approved by Olga Other."
    with pytest.raises(ValidationError):  # nothing waits for review any more
        reviews.review_decide(postmortem=in_review, user=facilitator, approve=True)


def test_review_queue_shows_reviewers_approvals_and_waiting(client, in_review, author, other_author, facilitator):
    reviews.reviewers_request(postmortem=in_review, user=author, reviewers=[other_author, facilitator])
    reviews.review_decide(postmortem=in_review, user=other_author, approve=True)
    page = signed_in(client, facilitator).get("/").content.decode()
    assert "1 of 2 reviewers approved" in page and "Waiting" in page
