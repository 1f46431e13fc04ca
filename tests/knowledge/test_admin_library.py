"""Tags (rename, merge, delete unused, usage counts), reading lists and related links in the admin."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag, TaggedItem

from knowledge.admin import TagAdmin
from knowledge.models import ReadingList, ReadingListItem, RelatedLink
from postmortems.models import Team
from tests.postmortems.admin_support import PM_LIST, act, form_data, messages_of

TAGS = "/admin/taggit/tag/"
LISTS = "/admin/knowledge/readinglist/"


@pytest.fixture
def desk(client, facilitator):
    client.force_login(facilitator)
    return client


def tag(name):
    return Tag.objects.get(name=name)


def test_our_tag_admin_replaces_taggits():
    assert type(admin.site.get_model_admin(Tag)) is TagAdmin


# --- Usage counts --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_tag_list_shows_usage_counts_and_links_to_the_post_mortems(desk, make_postmortem):
    for n in range(3):
        make_postmortem().tags.add("redis", "cache" if n else "dns")
    Tag.objects.create(name="orphan", slug="orphan")
    response = desk.get(TAGS)
    html = response.content.decode()
    redis = tag("redis")
    assert f'<a href="{PM_LIST}?tags__id__exact={redis.pk}">3 post-mortems</a>' in html
    assert ">2 post-mortems</a>" in html and ">1 post-mortem</a>" in html
    assert "unused" in html
    assert [t.name for t in desk.get(TAGS + "?usage=unused").context["cl"].result_list] == ["orphan"]
    assert [t.name for t in desk.get(TAGS + "?o=-3").context["cl"].result_list][:1] == ["redis"]


@pytest.mark.django_db
def test_tag_list_query_count_does_not_grow(desk, make_postmortem):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(TAGS).status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        make_postmortem().tags.add(f"t{n}", "common")
    few = count()
    for n in range(3, 30):
        make_postmortem().tags.add(f"t{n}", "common")
    assert count() == few


# --- Merge ---------------------------------------------------------------------------------------

@pytest.fixture
def tangle(make_postmortem):
    """Three spellings of one idea, overlapping on some post-mortems, and a bystander tag."""
    a, b, c, d = (make_postmortem(title=t) for t in ("A", "B", "C", "D"))
    a.tags.add("postgres", "pg")
    b.tags.add("postgresql", "pg", "network")
    c.tags.add("pg")
    d.tags.add("network")
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.mark.django_db
def test_merge_asks_which_tag_to_keep(desk, tangle):
    chosen = [tag("postgres"), tag("postgresql"), tag("pg")]
    response = act(desk, TAGS, "merge", chosen)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="radio" name="target"' in html
    assert "pg (used on 3)" in html
    assert Tag.objects.filter(name__in=["postgres", "postgresql", "pg"]).count() == 3


@pytest.mark.django_db
def test_merge_moves_every_tagged_item_without_duplicates_and_deletes_the_merged_tags(desk, facilitator, tangle):
    chosen = [tag("postgres"), tag("postgresql"), tag("pg")]
    items_before = {(pm.pk, frozenset(pm.tags.names())) for pm in tangle.values()}
    target = tag("postgresql")
    response = act(desk, TAGS, "merge", chosen, apply="Merge", target=str(target.pk))
    assert response.status_code == 302
    assert not Tag.objects.filter(name__in=["postgres", "pg"]).exists()
    assert sorted(tangle["a"].tags.names()) == ["postgresql"]
    assert sorted(tangle["b"].tags.names()) == ["network", "postgresql"]
    assert sorted(tangle["c"].tags.names()) == ["postgresql"]
    assert sorted(tangle["d"].tags.names()) == ["network"]
    assert TaggedItem.objects.filter(tag=target).count() == 3
    # Nothing lost: every post-mortem that carried any merged tag now carries the target.
    merged = {"postgres", "postgresql", "pg"}
    for pk, names in items_before:
        if names & merged:
            assert target.name in {t.name for t in Tag.objects.filter(taggit_taggeditem_items__object_id=pk)}
    # Each changed post-mortem has a revision saying so; the bystander does not.
    for key in ("a", "b", "c"):
        revision = tangle[key].revisions.get()
        assert (revision.action, revision.comment) == ("tags merged", "“pg”, “postgres” merged into “postgresql”.")
        assert revision.user == facilitator
        assert "postgresql" in revision.snapshot["tags"]
    assert not tangle["d"].revisions.exists()


@pytest.mark.django_db
def test_merge_needs_a_target_and_at_least_two_tags(desk, tangle):
    chosen = [tag("postgres"), tag("pg")]
    response = act(desk, TAGS, "merge", chosen, apply="Merge")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = act(desk, TAGS, "merge", [tag("pg")])
    assert any("Select at least two tags" in m for m in messages_of(desk.get(response["Location"])))
    assert Tag.objects.filter(name__in=["postgres", "pg"]).count() == 2


@pytest.mark.django_db
def test_merge_target_must_be_one_of_the_selected_tags(desk, tangle):
    response = act(desk, TAGS, "merge", [tag("postgres"), tag("pg")], apply="Merge", target=str(tag("network").pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Tag.objects.filter(name="postgres").exists()


# --- Rename and delete ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_renaming_a_tag_records_a_revision_on_each_post_mortem_carrying_it(desk, tangle):
    pg = tag("pg")
    data = form_data(desk.get(f"{TAGS}{pg.pk}/change/"), "tag_form")
    data.update(name=["PostgreSQL replicas"], slug=["postgresql-replicas"])
    assert desk.post(f"{TAGS}{pg.pk}/change/", data).status_code == 302
    for key in ("a", "b", "c"):
        assert "PostgreSQL replicas" in tangle[key].tags.names()
        revision = tangle[key].revisions.get()
        assert (revision.action, revision.comment) == ("tag renamed", "“pg” renamed to “PostgreSQL replicas”.")
        assert "PostgreSQL replicas" in revision.snapshot["tags"]
    assert not tangle["d"].revisions.exists()


@pytest.mark.django_db
def test_renaming_onto_an_existing_name_points_to_merge(desk, tangle):
    pg = tag("pg")
    data = form_data(desk.get(f"{TAGS}{pg.pk}/change/"), "tag_form")
    data.update(name=["Postgres"])
    response = desk.post(f"{TAGS}{pg.pk}/change/", data)
    assert response.status_code == 200
    assert "There is already a tag “postgres”" in response.content.decode()
    assert Tag.objects.filter(name="pg").exists()


@pytest.mark.django_db
def test_delete_unused_tags_keeps_the_ones_in_use(desk, tangle):
    Tag.objects.create(name="old-1", slug="old-1")
    Tag.objects.create(name="old-2", slug="old-2")
    chosen = list(Tag.objects.filter(name__in=["old-1", "old-2", "pg"]))
    response = act(desk, TAGS, "delete_unused", chosen)
    notes = messages_of(desk.get(response["Location"]))
    assert "Deleted 2 unused tag(s)." in notes
    assert "Kept 1 in use: pg." in notes
    assert not Tag.objects.filter(name__startswith="old-").exists()
    assert TaggedItem.objects.filter(tag__name="pg").count() == 3


@pytest.mark.django_db
def test_deleting_a_tag_in_use_records_the_change_on_its_post_mortems(desk, tangle):
    network = tag("network")
    assert desk.post(f"{TAGS}{network.pk}/delete/", {"post": "yes"}).status_code == 302
    assert sorted(tangle["b"].tags.names()) == ["pg", "postgresql"]
    revision = tangle["b"].revisions.get()
    assert (revision.action, revision.comment) == ("tags deleted in admin", "“network” deleted.")
    assert tangle["d"].revisions.get().snapshot["tags"] == []


@pytest.mark.django_db
def test_tag_autocomplete_answers_for_the_post_mortem_form(desk, tangle):
    response = desk.get("/admin/autocomplete/", {"app_label": "postmortems", "model_name": "postmortem",
                                                 "field_name": "tags", "term": "postg"})
    assert sorted(r["text"] for r in response.json()["results"]) == ["postgres", "postgresql"]


# --- Reading lists -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reading_list_items_are_edited_inline_in_order_with_notes(desk, facilitator, make_postmortem):
    first, second = make_postmortem(title="DNS outage"), make_postmortem(title="Queue backlog")
    response = desk.get(f"{LISTS}add/")
    assert response.status_code == 200
    data = form_data(response, "readinglist_form")
    data.update({
        "title": ["First month"], "slug": ["first-month"], "description": ["Start here."],
        "items-TOTAL_FORMS": ["2"],
        "items-0-position": ["2"], "items-0-postmortem": [str(first.pk)], "items-0-note": ["Read the timeline."],
        "items-1-position": ["1"], "items-1-postmortem": [str(second.pk)], "items-1-note": ["Backpressure."],
    })
    response = desk.post(f"{LISTS}add/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    reading_list = ReadingList.objects.get(slug="first-month")
    assert reading_list.created_by == facilitator
    assert [(i.postmortem.title, i.note) for i in reading_list.items.all()] == [
        ("Queue backlog", "Backpressure."), ("DNS outage", "Read the timeline.")]
    change = desk.get(f"{LISTS}{reading_list.pk}/change/")
    data = form_data(change, "readinglist_form")
    assert [data[f"items-{i}-note"][0] for i in range(2)] == ["Backpressure.", "Read the timeline."]
    assert '<td class="field-item_count">2</td>' in desk.get(LISTS).content.decode()


@pytest.mark.django_db
def test_add_to_reading_list_action_appends_in_incident_order_and_skips_ones_already_there(
        desk, make_postmortem):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    old = make_postmortem(title="Old", status="published", started_at=now - timedelta(days=30))
    new = make_postmortem(title="New", status="published", started_at=now - timedelta(days=2))
    hidden = make_postmortem(title="Secret", status="published", restricted=True, started_at=now)
    reading_list = ReadingList.objects.create(title="Databases", slug="databases")
    ReadingListItem.objects.create(reading_list=reading_list, postmortem=old, position=1)
    response = act(desk, PM_LIST, "add_to_reading_list", [new, old, hidden])
    assert response.status_code == 200
    assert 'name="reading_list"' in response.content.decode()
    response = act(desk, PM_LIST, "add_to_reading_list", [new, old, hidden], apply="Add",
                   reading_list=str(reading_list.pk), note="Why replicas lag")
    notes = messages_of(desk.get(response["Location"]))
    assert "Added 2 to “Databases”. 1 already on it." in notes
    assert any("Readers will not see Secret" in n for n in notes)
    assert [(i.postmortem.title, i.position, i.note) for i in reading_list.items.all()] == [
        ("Old", 1, ""), ("New", 2, "Why replicas lag"), ("Secret", 3, "Why replicas lag")]


@pytest.mark.django_db
def test_reading_list_changelist_query_count_does_not_grow(desk, make_postmortem):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(LISTS).status_code == 200
        return len(ctx.captured_queries)

    pm = make_postmortem()

    def add(n):
        for _ in range(n):
            k = ReadingList.objects.count()
            rl = ReadingList.objects.create(title=f"List {k}", slug=f"list-{k}")
            ReadingListItem.objects.create(reading_list=rl, postmortem=pm)

    add(3)
    few = count()
    add(17)
    assert count() == few


@pytest.mark.django_db
def test_related_link_admin_records_who_linked(desk, facilitator, make_postmortem):
    a, b = make_postmortem(title="A"), make_postmortem(title="B")
    response = desk.post("/admin/knowledge/relatedlink/add/", {"source": a.pk, "target": b.pk,
                                                               "note": "same failure mode"})
    assert response.status_code == 302
    assert RelatedLink.objects.get().created_by == facilitator


@pytest.mark.django_db
def test_team_counts_link_to_their_post_mortems(desk, team, make_postmortem):
    make_postmortem().teams.add(team)
    Team.objects.create(name="Idle", slug="idle")
    html = desk.get("/admin/postmortems/team/").content.decode()
    assert f'<a href="{PM_LIST}?teams__id__exact={team.pk}">1</a>' in html
