"""Pages give no hint of post-mortems a user may not see: not through a new slug, not through a filter's choices."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from postmortems import services
from postmortems.models import ActionItem, PostMortem, Status, Template
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def start(client, title):
    response = client.post("/postmortems/new/", {
        "template": Template.objects.get(slug="standard").pk, "title": title, "severity": "sev3",
        "started_at": "2024-03-01T14:00",
    })
    assert response.status_code == 302
    return re.fullmatch(r"/postmortems/([^/]+)/edit/", response["Location"]).group(1)


def test_a_new_slug_looks_the_same_whether_or_not_a_hidden_post_mortem_has_the_title(client, author,
                                                                                     other_author):
    services.postmortem_create(user=other_author, template=Template.objects.get(slug="lightweight"),
                               title="Helpdesk token exposure", severity="sev1", started_at=None, restricted=True)
    client.force_login(author)
    colliding = start(client, "Helpdesk token exposure")
    fresh = start(client, "Printer queue stalled")
    assert re.fullmatch(r"helpdesk-token-exposure-[a-z2-9]{6}", colliding), colliding
    assert re.fullmatch(r"printer-queue-stalled-[a-z2-9]{6}", fresh), fresh
    assert PostMortem.objects.filter(slug__startswith="helpdesk-token-exposure").count() == 2


def test_slugs_stay_unique_for_many_post_mortems_with_one_title(author):
    template = Template.objects.get(slug="lightweight")
    slugs = {services.postmortem_create(user=author, template=template, title="Same title", severity="sev3",
                                        started_at=None).slug for _ in range(20)}
    assert len(slugs) == 20


@pytest.fixture
def owners(author, other_author, facilitator):
    """An open action item owned by Vera on a published write-up; one owned by Hugo on a restricted one."""
    template = Template.objects.get(slug="lightweight")
    visible_owner = make_user("vera", "Authors", first_name="Vera", last_name="Visible")
    hidden_owner = make_user("hugo", "Authors", first_name="Hugo", last_name="Hidden")
    published = services.postmortem_create(user=author, template=template, title="Queue backlog", severity="sev3",
                                           started_at=datetime(2024, 2, 1, tzinfo=UTC))
    PostMortem.objects.filter(pk=published.pk).update(status=Status.PUBLISHED)
    restricted = services.postmortem_create(user=other_author, template=template, title="Token leak",
                                            severity="sev1", started_at=None, restricted=True)
    ActionItem.objects.create(postmortem=published, title="Alert on queue depth", owner=visible_owner)
    ActionItem.objects.create(postmortem=restricted, title="Rotate every token", owner=hidden_owner)
    return published


@pytest.mark.parametrize("role, sees_hugo", [("reader", False), ("author", False), ("other_author", True),
                                             ("facilitator", True)])
def test_the_owner_filter_lists_only_owners_of_items_the_user_may_see(client, request, owners, role, sees_hugo):
    client.force_login(request.getfixturevalue(role))
    content = client.get("/action-items/?owner=all").content.decode()
    assert "Vera Visible" in content
    assert ("Hugo Hidden" in content) == sees_hugo


def test_the_owner_filter_costs_the_same_queries_for_many_owners(client, reader, owners):
    client.force_login(reader)
    with CaptureQueriesContext(connection) as few:
        client.get("/action-items/?owner=all")
    for i in range(10):
        owner = make_user(f"owner{i}", "Authors", first_name=f"Owner{i}")
        ActionItem.objects.create(postmortem=owners, title=f"Follow-up {i}", owner=owner)
    with CaptureQueriesContext(connection) as many:
        content = client.get("/action-items/?owner=all").content.decode()
    assert "Owner9" in content
    assert len(many) == len(few)
