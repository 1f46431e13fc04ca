"""Done when: a facilitator runs a whole review cycle from the admin, with nothing but its pages."""

import re

import pytest
from taggit.models import Tag

from knowledge.models import ReadingList
from postmortems import services
from postmortems.models import PostMortem, Section, Template

TAGS = "/admin/taggit/tag/"
PM_LIST = "/admin/postmortems/postmortem/"


def post_action(client, url, action, ids, **extra):
    return client.post(url, {"action": action, "_selected_action": ids, "index": "0", **extra})


def follow(client, response):
    assert response.status_code == 302, response
    return client.get(response["Location"])


@pytest.mark.django_db
def test_facilitator_runs_a_review_cycle_entirely_from_the_admin(client, author, facilitator):
    # An author writes a post-mortem and submits it, introducing two near-duplicate tags.
    Tag.objects.create(name="redis", slug="redis")
    Tag.objects.create(name="stale-tag", slug="stale-tag")
    template = Template.objects.get(slug="lightweight")
    pm = services.postmortem_create(user=author, template=template, title="Session store evictions",
                                    severity="sev2", started_at=None)
    for section in pm.sections.all():
        Section.objects.filter(pk=section.pk).update(body=f"{section.heading}: the cache evicted sessions.")
    pm.tags.add("redis", "Redis-cluster", "redis cache")
    services.postmortem_submit_for_review(postmortem=pm, user=author)
    reading_list = ReadingList.objects.create(title="Caching lessons", slug="caching-lessons")
    client.force_login(facilitator)

    # 1. Find what waits in review: the desk's front page points to the queue.
    index = client.get("/admin/").content.decode()
    assert "1 post-mortem waits for review" in index
    queue_url = re.search(r'href="(/admin/postmortems/postmortem/\?queue=review)"', index).group(1)
    queue = client.get(queue_url)
    assert list(queue.context["cl"].result_list) == [pm]
    change_url = f"{PM_LIST}{pm.pk}/change/"
    assert f'href="{change_url}?_changelist_filters=queue%3Dreview"' in queue.content.decode()

    # 2. Read it.
    page = client.get(change_url).content.decode()
    assert "Session store evictions" in page
    assert "the cache evicted sessions." in page
    assert "submitted for review" in page  # its recent history

    # 3. Send it back with a comment, from the change page's button and the comment page.
    comment_page = post_action(client, PM_LIST, "send_back", [pm.pk])
    assert 'name="comment"' in comment_page.content.decode()
    done = follow(client, post_action(client, PM_LIST, "send_back", [pm.pk], apply="Send back",
                                      comment="Say how the eviction policy was chosen."))
    assert "Sent back to draft: “Session store evictions”." in done.content.decode()
    pm.refresh_from_db()
    assert pm.status == "draft"
    assert pm.revisions.get(action="sent back").comment == "Say how the eviction policy was chosen."

    # The author answers and submits again; the queue shows it once more, and the facilitator publishes it.
    services.postmortem_submit_for_review(postmortem=pm, user=author)
    assert list(client.get(queue_url).context["cl"].result_list) == [pm]
    done = follow(client, post_action(client, queue_url, "publish", [pm.pk]))
    assert "Published: “Session store evictions”." in done.content.decode()
    assert list(done.context["cl"].result_list) == []  # the queue is empty
    pm.refresh_from_db()
    assert pm.status == "published"

    # 4. Clean up the tags it introduced: merge the near-duplicates into "redis", delete unused ones.
    tags = client.get(TAGS, {"q": "redis"})
    found = {t.name: t.pk for t in tags.context["cl"].result_list}
    assert set(found) == {"redis", "Redis-cluster", "redis cache"}
    choose = post_action(client, TAGS, "merge", list(found.values()))
    assert "Merge into" in choose.content.decode()
    follow(client, post_action(client, TAGS, "merge", list(found.values()), apply="Merge",
                               target=str(found["redis"])))
    unused = client.get(TAGS, {"usage": "unused"})
    unused_ids = [t.pk for t in unused.context["cl"].result_list]
    assert [t.name for t in unused.context["cl"].result_list] == ["stale-tag"]
    follow(client, post_action(client, TAGS, "delete_unused", unused_ids))
    assert list(pm.tags.names()) == ["redis"]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["redis"]

    # 5. Add it to a reading list.
    follow(client, post_action(client, PM_LIST, "add_to_reading_list", [pm.pk], apply="Add to the list",
                               reading_list=str(reading_list.pk), note="How eviction policies surprise us."))
    item = reading_list.items.get()
    assert (item.postmortem, item.note) == (pm, "How eviction policies surprise us.")

    # Every step is in the post-mortem's history, with who did it.
    history = PostMortem.objects.get(pk=pm.pk).revisions.order_by("version").values_list("action", "user", "comment")
    assert list(history) == [
        ("created", author.pk, ""),
        ("submitted for review", author.pk, ""),
        ("sent back", facilitator.pk, "Say how the eviction policy was chosen."),
        ("submitted for review", author.pk, ""),
        ("published", facilitator.pk, ""),
        ("tags merged", facilitator.pk, "“redis cache”, “Redis-cluster” merged into “redis”."),
    ]
