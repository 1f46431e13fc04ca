"""Similar incidents: shared tags, shared factor categories and text similarity, in a stable order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge.search import index_postmortem
from knowledge.similar import similar_incidents, similarity_scores
from postmortems.models import ActionItem, ContributingFactor, FactorCategory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hand_made(write_up):
    change = FactorCategory.objects.get(slug="change")
    capacity = FactorCategory.objects.get(slug="capacity")
    now = timezone.now()

    def factor(pm, category):
        ContributingFactor.objects.create(postmortem=pm, category=category, description="x")

    source = write_up(title="Checkout gateway timeouts", tags=["checkout", "gateway"])
    factor(source, change)
    factor(source, capacity)
    z = write_up(title="Checkout gateway timeouts again", started_at=now - timedelta(days=9))
    factor(z, change)
    factor(z, capacity)
    x = write_up(title="Kafka rebalancing stalls", tags=["checkout", "gateway"], started_at=now - timedelta(days=8))
    y_old = write_up(title="Disk pressure on replicas", tags=["gateway"], started_at=now - timedelta(days=30))
    factor(y_old, change)
    y_new = write_up(title="Certificate rotation missed", tags=["checkout"], started_at=now - timedelta(days=3))
    factor(y_new, capacity)
    w = write_up(title="Gateway memory leak", started_at=now - timedelta(days=1))
    unrelated = write_up(title="Office wifi flapping", tags=["wifi"])
    for pm in (source, z, y_old, y_new):  # factors were added after the first indexing
        index_postmortem(pm)
    return {"source": source, "z": z, "x": x, "y_old": y_old, "y_new": y_new, "w": w, "unrelated": unrelated}


def test_scores_combine_tags_categories_and_text(hand_made, reader):
    scores = similarity_scores(user=reader, postmortem=hand_made["source"])
    assert scores[hand_made["z"].pk] == 8.0  # two categories + the best text match
    assert scores[hand_made["x"].pk] == 6.0  # two tags
    assert scores[hand_made["y_old"].pk] == scores[hand_made["y_new"].pk] == 5.0  # one tag + one category
    assert 0 < scores[hand_made["w"].pk] < 4.0  # a weaker text match only
    assert hand_made["unrelated"].pk not in scores and hand_made["source"].pk not in scores


def test_order_is_by_score_then_newest(hand_made, reader):
    found = similar_incidents(user=reader, postmortem=hand_made["source"])
    assert [pm.pk for pm in found] == [hand_made[k].pk for k in ("z", "x", "y_new", "y_old", "w")]
    assert similar_incidents(user=reader, postmortem=hand_made["source"]) == found


def test_explicitly_linked_ones_can_be_left_out(hand_made, reader):
    found = similar_incidents(user=reader, postmortem=hand_made["source"], exclude_ids={hand_made["z"].pk})
    assert hand_made["z"] not in found


def test_text_only_similarity_for_the_editor(hand_made, reader):
    found = similar_incidents(user=reader, title="Gateway timeouts during checkout", summary="")
    assert found[0] in (hand_made["z"], hand_made["source"])
    assert hand_made["x"] not in found and hand_made["unrelated"] not in found


def test_open_action_items_come_along(hand_made, reader):
    ActionItem.objects.create(postmortem=hand_made["z"], title="Raise the pool size")
    ActionItem.objects.create(postmortem=hand_made["z"], title="Done already", status="done")
    found = similar_incidents(user=reader, postmortem=hand_made["source"])
    assert [a.title for a in found[0].open_actions] == ["Raise the pool size"]
