from datetime import UTC, datetime

import pytest

from knowledge.models import ReadingList
from knowledge.services import reading_list_append
from postmortems.models import PostMortem

pytestmark = pytest.mark.django_db


def test_appends_in_incident_order_and_skips_what_is_already_listed(make_postmortem):
    later = make_postmortem(title="Later", started_at=datetime(2024, 5, 1, tzinfo=UTC))
    earlier = make_postmortem(title="Earlier", started_at=datetime(2023, 5, 1, tzinfo=UTC))
    listed = make_postmortem(title="Listed", started_at=datetime(2022, 5, 1, tzinfo=UTC))
    reading_list = ReadingList.objects.create(title="Start here", slug="start-here")
    reading_list.items.create(postmortem=listed, position=7)

    added = reading_list_append(reading_list=reading_list, postmortems=PostMortem.objects.all(), note="Read me")

    assert added == [earlier, later]
    items = list(reading_list.items.order_by("position").values_list("postmortem__title", "position", "note"))
    assert items == [("Listed", 7, ""), ("Earlier", 8, "Read me"), ("Later", 9, "Read me")]
