"""The library's tag services called directly: each change to what post-mortems carry is recorded on them."""

import pytest
from taggit.models import Tag

from knowledge import services
from knowledge.models import SearchDocument
from knowledge.search import index_postmortem

pytestmark = pytest.mark.django_db


@pytest.fixture
def tangle(make_postmortem):
    """Three post-mortems: one tagged "db" and "database", one "database", one "postgres" (and an unused tag)."""
    both, one, other = make_postmortem(), make_postmortem(), make_postmortem()
    both.tags.add("db", "database")
    one.tags.add("database")
    other.tags.add("postgres")
    Tag.objects.create(name="unused", slug="unused")
    for pm in (both, one, other):
        index_postmortem(pm)
    return {"both": both, "one": one, "other": other}


def tag(name):
    return Tag.objects.get(name=name)


def test_post_mortems_tagged_are_found_once_each(tangle):
    ids = services.postmortem_ids_tagged([tag("db").pk, tag("database").pk])
    assert sorted(ids) == sorted([tangle["both"].pk, tangle["one"].pk])


def test_merging_moves_taggings_drops_duplicates_and_records_each_post_mortem(tangle, facilitator):
    moved = services.tags_merge(tags=[tag("db"), tag("database")], target=tag("database"), user=facilitator)
    assert moved == 0  # "both" already carries the target: its "db" is dropped, not moved
    assert not Tag.objects.filter(name="db").exists()
    assert sorted(tangle["both"].tags.names()) == ["database"]
    revision = tangle["both"].revisions.get()
    assert (revision.action, revision.comment) == ("tags merged", "“db” merged into “database”.")
    assert not tangle["one"].revisions.exists() and not tangle["other"].revisions.exists()


def test_merging_into_a_new_name_moves_every_tagging(tangle, facilitator):
    moved = services.tags_merge(tags=[tag("db"), tag("database"), tag("postgres")], target=tag("postgres"),
                                user=facilitator)
    assert moved == 2
    for pm in tangle.values():
        assert list(pm.tags.names()) == ["postgres"]
    # the search entry follows: "one" now carries the kept tag's id
    assert f"tg{tag('postgres').pk}" in SearchDocument.objects.get(pk=tangle["one"].pk).facets.split()


def test_merging_a_tag_into_itself_changes_nothing(tangle, facilitator):
    assert services.tags_merge(tags=[tag("db")], target=tag("db"), user=facilitator) == 0
    assert Tag.objects.filter(name="db").exists()


def test_renaming_records_on_each_post_mortem_and_a_save_without_rename_records_nothing(tangle, facilitator):
    database = tag("database")
    database.name = "Database"
    services.tag_save(tag=database, user=facilitator, renamed_from="database")
    for key in ("both", "one"):
        revision = tangle[key].revisions.get()
        assert (revision.action, revision.comment) == ("tag renamed", "“database” renamed to “Database”.")
    services.tag_save(tag=database, user=facilitator, renamed_from=None)
    assert tangle["both"].revisions.count() == 1


def test_deleting_tags_records_the_change_where_they_were(tangle, facilitator):
    services.tags_delete(tags=Tag.objects.filter(name__in=["db", "postgres"]), user=facilitator)
    assert not Tag.objects.filter(name__in=["db", "postgres"]).exists()
    assert tangle["both"].revisions.get().comment in ("“db”, “postgres” deleted.", "“postgres”, “db” deleted.")
    assert tangle["other"].revisions.get().action == "tags deleted in admin"
    assert not tangle["one"].revisions.exists()


def test_delete_unused_keeps_tags_in_use():
    used = Tag.objects.create(name="kafka", slug="kafka")
    unused = Tag.objects.create(name="zookeeper", slug="zookeeper")
    from taggit.models import TaggedItem

    assert TaggedItem.objects.count() == 0
    deleted, kept = services.tags_delete_unused(tags=[unused])
    assert (deleted, kept) == (["zookeeper"], [])
    assert Tag.objects.filter(pk=used.pk).exists()


def test_delete_unused_reports_the_ones_kept(tangle):
    deleted, kept = services.tags_delete_unused(tags=list(Tag.objects.filter(name__in=["unused", "db"])))
    assert (deleted, kept) == (["unused"], ["db"])
    assert Tag.objects.filter(name="db").exists() and not Tag.objects.filter(name="unused").exists()
