"""Durations are derived from the incident times and shown in human units, in any time zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from postmortems.models import PostMortem
from postmortems.templatetags.hindsight import duration, offset

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("value,expected", [
    (None, "—"),
    (timedelta(seconds=45), "45 s"),
    (timedelta(minutes=5), "5 min"),
    (timedelta(hours=2), "2 h"),
    (timedelta(hours=2, minutes=5), "2 h 5 min"),
    (timedelta(days=3, hours=4, minutes=10), "3 d 4 h"),
    (timedelta(days=1), "1 d"),
    (timedelta(minutes=-10), "−10 min"),
])
def test_duration_in_human_units(value, expected):
    assert duration(value) == expected


def test_durations_are_derived_from_times():
    start = datetime(2024, 3, 1, 14, 0, tzinfo=UTC)
    pm = PostMortem(started_at=start, detected_at=start + timedelta(minutes=7),
                    mitigated_at=start + timedelta(hours=1), resolved_at=None)
    assert pm.time_to_detect == timedelta(minutes=7)
    assert pm.time_to_mitigate == timedelta(hours=1)
    assert pm.time_to_resolve is None
    assert PostMortem().time_to_detect is None


def test_duration_across_spring_forward_counts_real_time():
    # Berlin moved from 02:00 to 03:00 on 31 March 2024: 01:30 to 03:30 local is one real hour.
    start = datetime(2024, 3, 31, 1, 30, tzinfo=BERLIN)
    end = datetime(2024, 3, 31, 3, 30, tzinfo=BERLIN)
    pm = PostMortem(started_at=start.astimezone(UTC), resolved_at=end.astimezone(UTC))
    assert pm.time_to_resolve == timedelta(hours=1)
    assert duration(pm.time_to_resolve) == "1 h"


def test_duration_across_fall_back_counts_real_time():
    # New York repeated 01:00-02:00 on 3 November 2024.
    start = datetime(2024, 11, 3, 0, 30, tzinfo=NEW_YORK)
    end = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=NEW_YORK)
    pm = PostMortem(started_at=start, detected_at=end)
    assert pm.time_to_detect == timedelta(hours=2)


def test_duration_between_time_zones():
    start = datetime(2024, 6, 1, 23, 50, tzinfo=ZoneInfo("Asia/Tokyo"))
    end = datetime(2024, 6, 1, 15, 5, tzinfo=UTC)
    assert PostMortem(started_at=start, mitigated_at=end).time_to_mitigate == timedelta(minutes=15)


@pytest.mark.parametrize("minutes,expected", [(0, "T+00:00"), (5, "T+00:05"), (125, "T+02:05"),
                                              (60 * 26 + 3, "T+1d 02:03"), (-10, "T−00:10")])
def test_timeline_offsets(minutes, expected):
    start = datetime(2024, 3, 1, 14, 0, tzinfo=UTC)
    assert offset(start + timedelta(minutes=minutes), start) == expected


@pytest.mark.django_db
def test_editor_times_are_read_in_the_users_time_zone():
    from postmortems.forms import NewPostMortemForm

    with timezone.override(BERLIN):
        form = NewPostMortemForm({"title": "x", "severity": "sev3", "started_at": "2024-07-01T10:00"})
        form.fields["template"].queryset = form.fields["template"].queryset.none()
        form.is_valid()
    assert form.cleaned_data["started_at"] == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
