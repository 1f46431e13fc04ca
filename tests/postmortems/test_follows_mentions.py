"""Following post-mortems, tags and teams, and @mentions in comments and sections."""

import pytest
from taggit.models import Tag

from postmortems import comments, follows, services
from postmortems.models import Follow, Notification, NotificationKind, Status, Template
from tests.factories import PASSWORD, make_user


def signed_in(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_mentions_are_read_from_text():
    text = "Ask @olga and @fred.smith. Not mail@example.com, (@ann), @bo-b!"
    assert follows.mentioned_usernames(text) == {"olga", "fred.smith", "ann", "bo-b"}


def test_mention_in_a_review_comment_tells_only_who_may_see_it(make_postmortem, author, other_author, reader,
                                                              facilitator):
    pm = make_postmortem(status=Status.IN_REVIEW, authors=[author, other_author])
    comments.comment_create(postmortem=pm, user=facilitator, body="@olga @rita can you check the graph?")
    mentioned = set(Notification.objects.filter(kind=NotificationKind.MENTION).values_list("recipient__username",
                                                                                          flat=True))
    assert mentioned == {"olga"}  # rita reads the library but not this review


def test_mention_in_a_question_on_published_text_reaches_readers(make_postmortem, author, reader, facilitator):
    pm = make_postmortem(status=Status.PUBLISHED, authors=[author])
    comment = comments.comment_create(postmortem=pm, user=facilitator, body="@rita this answers your question")
    comments.comment_edit(comment=comment, user=facilitator, body="@rita this answers your question, @arthur")
    assert sorted(Notification.objects.filter(kind=NotificationKind.MENTION).values_list("recipient__username",
                                                                                         flat=True)) == ["arthur",
                                                                                                         "rita"]


def test_new_mentions_in_a_section_tell_once(make_postmortem, author, other_author):
    pm = make_postmortem(authors=[author, other_author])
    services.postmortem_record_change(postmortem=pm, user=author, action="created")
    doc = services.document_of(pm)
    doc["sections"] = [{"id": None, "heading": "Notes", "body": "@olga knows the queue."}]
    services.postmortem_save(postmortem=pm, user=author, base_version=pm.version, document=doc)
    doc = services.document_of(pm)
    doc["sections"][0]["body"] += " More text."
    services.postmortem_save(postmortem=pm, user=author, base_version=pm.version, document=doc)
    assert Notification.objects.filter(recipient=other_author, kind=NotificationKind.MENTION).count() == 1


def test_authors_follow_their_own_post_mortems(author):
    pm = services.postmortem_create(user=author, template=Template.objects.first(), title="Mine", severity="sev3",
                                    started_at=None)
    assert Follow.objects.filter(user=author, postmortem=pm).exists()


def test_follow_and_unfollow_a_post_mortem(client, make_postmortem, reader):
    pm = make_postmortem(status=Status.PUBLISHED)
    signed_in(client, reader)
    response = client.post(f"/follow/postmortems/{pm.slug}/")
    assert response.status_code == 302 and response["Location"] == f"/postmortems/{pm.slug}/"
    assert Follow.objects.filter(user=reader, postmortem=pm).exists()
    assert "Following" in client.get(f"/postmortems/{pm.slug}/").content.decode()
    client.post(f"/follow/postmortems/{pm.slug}/", {"follow": "0"})
    assert not Follow.objects.exists()


def test_follow_a_tag_from_its_page_and_hear_of_publications(client, make_postmortem, reader, facilitator):
    pm = make_postmortem(status=Status.PUBLISHED)
    pm.tags.add("queues")
    signed_in(client, reader)
    assert 'action="/follow/tags/queues/"' in client.get("/tags/queues/").content.decode()
    assert client.post("/follow/tags/queues/").status_code == 302
    later = make_postmortem(status=Status.IN_REVIEW)
    later.tags.add("queues")
    services.postmortem_publish(postmortem=later, user=facilitator)
    assert Notification.objects.filter(recipient=reader, kind=NotificationKind.PUBLISHED).exists()


def test_follow_a_team(client, team, reader):
    assert signed_in(client, reader).post(f"/follow/teams/{team.slug}/", {"back": "https://evil.example/"})[
        "Location"] == "/"
    assert Follow.objects.filter(user=reader, team=team).exists()


def test_hidden_things_cannot_be_followed(client, make_postmortem, reader):
    draft = make_postmortem(status=Status.DRAFT)
    secret = make_postmortem(status=Status.PUBLISHED, restricted=True)
    secret.tags.add("secret-tag")
    signed_in(client, reader)
    assert client.post(f"/follow/postmortems/{draft.slug}/").status_code == 404
    assert client.post("/follow/tags/secret-tag/").status_code == 404
    assert client.post("/follow/tags/no-such-tag/").status_code == 404
    assert client.post("/follow/teams/no-such-team/").status_code == 404
    assert not Follow.objects.exists()
    assert Tag.objects.filter(slug="secret-tag").exists()


def test_follow_takes_only_post(client, make_postmortem, reader, team):
    pm = make_postmortem(status=Status.PUBLISHED)
    signed_in(client, reader)
    for path in (f"/follow/postmortems/{pm.slug}/", f"/follow/teams/{team.slug}/", "/follow/tags/x/"):
        assert client.get(path).status_code == 405


@pytest.mark.parametrize("value", ["", "maybe", "\x00", "x" * 10_000])
def test_odd_follow_values_follow(client, make_postmortem, reader, value):
    pm = make_postmortem(status=Status.PUBLISHED)
    assert signed_in(client, reader).post(f"/follow/postmortems/{pm.slug}/", {"follow": value}).status_code == 302
    assert Follow.objects.filter(user=reader).count() == 1


def test_many_mentions_are_capped(make_postmortem, author, facilitator):
    for i in range(30):
        make_user(f"user{i}", "Facilitators")
    pm = make_postmortem(status=Status.IN_REVIEW, authors=[author])
    comments.comment_create(postmortem=pm, user=facilitator, body=" ".join(f"@user{i}" for i in range(30)))
    assert Notification.objects.filter(kind=NotificationKind.MENTION).count() == follows.MAX_MENTIONS


def test_people_suggestions_offer_only_who_may_see_a_draft(client, make_postmortem, author, other_author, reader):
    draft = make_postmortem(status=Status.DRAFT, authors=[author, other_author])
    signed_in(client, author)
    assert client.get("/people/suggest/", {"q": "o"}).json()["people"][0]["username"] in ("olga", "otto")
    answer = client.get("/people/suggest/", {"q": "r", "postmortem": draft.slug}).json()
    names = [p["username"] for p in answer["people"]]
    assert names == []  # rita may not see the draft
    names = [p["username"] for p in client.get("/people/suggest/", {"q": "Olg", "postmortem": draft.slug}).json()[
        "people"]]
    assert names == ["olga"]
    assert signed_in(client, reader).get("/people/suggest/", {"q": "a", "postmortem": draft.slug}).status_code == 404
    for q in ("", "@", "\x00", "x" * 10_000):
        assert client.get("/people/suggest/", {"q": q}).status_code == 200
    assert client.post("/people/suggest/").status_code == 405


def test_team_follow_buttons_on_the_post_mortem(client, make_postmortem, reader, team):
    pm = make_postmortem(status=Status.PUBLISHED)
    pm.teams.add(team)
    page = signed_in(client, reader).get(f"/postmortems/{pm.slug}/").content.decode()
    assert f'action="/follow/teams/{team.slug}/"' in page and "Follow Payments" in page
    client.post(f"/follow/teams/{team.slug}/", {"back": f"/postmortems/{pm.slug}/"})
    assert "Following Payments" in client.get(f"/postmortems/{pm.slug}/").content.decode()


@pytest.mark.parametrize("back", ["a\x00b", "²", "9999-12", "0001-01-01T00:00", "//evil.example/", "javascript:x", ""])
def test_follow_goes_back_only_to_pages_of_this_site(client, team, reader, back):
    response = signed_in(client, reader).post(f"/follow/teams/{team.slug}/", {"back": back})
    assert response.status_code == 302 and response["Location"] == "/"
