"""Blameless by design: no model may record who caused an incident or who is at fault."""

import re

from django.apps import apps
from django.conf import settings

BLAME_WORDS = re.compile(r"cause|culprit|fault|blame|responsible|guilty|offender|perpetrator|breaker|error_by")

# The only places a user may appear, and why.
ALLOWED_USER_FIELDS = {
    ("postmortems", "postmortem", "authors"): "credit for the write-up",
    ("postmortems", "postmortem", "facilitator"): "who runs the review",
    ("postmortems", "actionitem", "owner"): "ownership of follow-up work",
    ("postmortems", "revision", "user"): "who edited the write-up",
    ("postmortems", "profile", "user"): "the user's own settings",
    ("postmortems", "findingdismissal", "user"): "who dismissed a language finding",
    ("postmortems", "amendment", "created_by"): "who started an amendment of the write-up",
    ("postmortems", "amendment", "published_by"): "who published an amendment",
    ("postmortems", "upload", "uploaded_by"): "who added an image to the write-up",
    ("knowledge", "relatedlink", "created_by"): "who linked two write-ups",
    ("knowledge", "readinglist", "created_by"): "who curated a list",
    ("knowledge", "readmark", "user"): "the reader's own progress",
    ("postmortems", "notification", "recipient"): "who is told of an event",
    ("postmortems", "notificationpreference", "user"): "the user's own settings",
    ("postmortems", "follow", "user"): "what the user chose to follow",
    ("postmortems", "comment", "author"): "who wrote a comment",
    ("postmortems", "comment", "resolved_by"): "who closed a comment thread",
    ("postmortems", "reviewrequest", "reviewer"): "who reviews the write-up",
    ("postmortems", "reviewrequest", "requested_by"): "who asked for the review",
    ("postmortems", "apitoken", "user"): "whose personal API token it is",
    ("postmortems", "incidentwebhook", "author"): "who is credited as author of the drafts a webhook starts",
}
PROJECT_APPS = ("postmortems", "knowledge")


def project_fields():
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            for field in model._meta.get_fields():
                yield model, field


def test_no_field_name_speaks_of_blame():
    offenders = [
        f"{m._meta.label}.{f.name}" for m, f in project_fields()
        if BLAME_WORDS.search(f.name) or BLAME_WORDS.search(str(getattr(f, "verbose_name", "")))
    ]
    assert offenders == []


def test_users_appear_only_as_credit_ownership_or_bookkeeping():
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    found = {
        (m._meta.app_label, m._meta.model_name, f.name)
        for m, f in project_fields()
        if f.is_relation and f.related_model is user_model and (f.concrete or f.many_to_many) and not f.auto_created
    }
    assert found <= set(ALLOWED_USER_FIELDS), found - set(ALLOWED_USER_FIELDS)


def test_timeline_events_have_no_user_field():
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    event = apps.get_model("postmortems", "TimelineEvent")
    assert not [f for f in event._meta.get_fields() if f.is_relation and f.related_model is user_model]


def test_the_walk_sees_the_models():
    labels = {m._meta.label for m, _ in project_fields()}
    assert {"postmortems.PostMortem", "postmortems.TimelineEvent", "postmortems.ActionItem"} <= labels
