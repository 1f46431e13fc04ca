"""Only facilitators enter the facilitator's desk."""

import pytest
from django.contrib.auth.models import User

from tests.factories import make_user

ADMIN_PAGES = [
    "/admin/",
    "/admin/postmortems/postmortem/",
    "/admin/postmortems/postmortem/add/",
    "/admin/taggit/tag/",
    "/admin/knowledge/readinglist/",
    "/admin/autocomplete/?app_label=postmortems&model_name=postmortem&field_name=tags&term=a",
]


def staffed(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def assert_kept_out(response):
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_is_sent_to_sign_in(client, url):
    assert_kept_out(client.get(url))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reader", "author", "outsider"])
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_readers_authors_and_outsiders_cannot_enter_the_admin(client, request, role, url):
    client.force_login(request.getfixturevalue(role))
    assert_kept_out(client.get(url))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reader", "author", "outsider"])
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_ticking_staff_status_does_not_let_readers_or_authors_in(client, request, role, url):
    client.force_login(staffed(request.getfixturevalue(role)))
    assert_kept_out(client.get(url))


@pytest.mark.django_db
def test_staff_author_cannot_post_an_action_either(client, author, make_postmortem):
    pm = make_postmortem(status="in_review", authors=[author])
    client.force_login(staffed(author))
    response = client.post(
        "/admin/postmortems/postmortem/", {"action": "publish", "_selected_action": [pm.pk], "index": "0"}
    )
    assert_kept_out(response)
    pm.refresh_from_db()
    assert pm.status == "in_review"


@pytest.mark.django_db
def test_admin_login_page_tells_a_signed_in_reader_they_are_not_authorised(client, reader):
    client.force_login(staffed(reader))
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 200
    assert "not authorized" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_facilitator_enters_the_admin(client, facilitator, url):
    client.force_login(facilitator)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_facilitator_without_staff_status_stays_out(client):
    user = make_user("frank", "Facilitators", staff=False)
    client.force_login(user)
    assert_kept_out(client.get("/admin/"))


@pytest.mark.django_db
def test_inactive_facilitator_stays_out(client, facilitator):
    facilitator.is_active = False
    facilitator.save()
    client.force_login(facilitator)
    assert_kept_out(client.get("/admin/"))


@pytest.mark.django_db
def test_superuser_enters_the_admin(client):
    admin = User.objects.create_superuser("root", "root@example.com", "x-long-password-1")
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_site_header_and_title_say_hindsight(client, facilitator):
    client.force_login(facilitator)
    html = client.get("/admin/").content.decode()
    assert "Hindsight — facilitator&#x27;s desk" in html or "Hindsight — facilitator's desk" in html
    assert "<title>Reviews, publishing, templates and tags | Hindsight admin</title>" in html
    assert "Django administration" not in html


@pytest.mark.django_db
def test_index_explains_the_roles_and_links_the_review_queue(client, facilitator, make_postmortem):
    make_postmortem(status="in_review")
    make_postmortem(status="in_review")
    client.force_login(facilitator)
    html = client.get("/admin/").content.decode()
    assert "2 post-mortems wait for review" in html
    assert 'href="/admin/postmortems/postmortem/?queue=review"' in html
    assert "Staff status alone lets nobody in" in html
