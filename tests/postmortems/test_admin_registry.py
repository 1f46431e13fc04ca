"""Every registered admin renders with data present, and every field a facilitator fills in is explained."""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import RequestFactory
from django.urls import reverse
from taggit.models import Tag

from knowledge.models import ReadingList, ReadingListItem, RelatedLink
from postmortems import services
from postmortems.models import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    FindingDismissal,
    LanguageFinding,
    LanguageRule,
    Section,
    Team,
    Template,
    TimelineEvent,
)

# Django's own user and group forms keep Django's fields; their role help is tested elsewhere.
DJANGOS_OWN = {User, Group}


@pytest.fixture
def everything(db, author, facilitator, make_postmortem):
    """At least one row of every model the admin shows."""
    template = Template.objects.get(slug="standard")
    category = FactorCategory.objects.first() or FactorCategory.objects.create(name="Change", slug="change")
    team = Team.objects.create(name="Payments", slug="payments")
    pm = services.postmortem_create(user=author, template=template, title="Card declines", severity="sev2",
                                    started_at=None)
    pm.teams.add(team)
    pm.tags.add("payments-api")
    other = make_postmortem(title="Other")
    Section.objects.create(postmortem=pm, heading="Extra", body="Text")
    TimelineEvent.objects.create(postmortem=pm, occurred_at=pm.created_at, description="Alert fired")
    ContributingFactor.objects.create(postmortem=pm, category=category, description="A config change")
    ActionItem.objects.create(postmortem=pm, title="Add a canary", owner=author, due_date=date.today())
    LanguageRule.objects.get_or_create(slug="registry-rule", defaults={
        "pattern": "careless", "category": "blame", "message": "Judges a person."})
    services.postmortem_record_change(postmortem=pm, user=facilitator, action="edited")
    # After the last save, so the coach's refresh does not replace them.
    LanguageFinding.objects.create(postmortem=pm, rule_slug="registry-rule", category="blame", location="section:1",
                                   text="careless")
    FindingDismissal.objects.create(postmortem=pm, rule_slug="registry-rule", location="section:1", text="careless",
                                    reason="Quoted", user=author)
    reading_list = ReadingList.objects.create(title="Start here", slug="start-here")
    ReadingListItem.objects.create(reading_list=reading_list, postmortem=pm, note="Read first")
    RelatedLink.objects.create(source=pm, target=other, note="same failure mode")
    Tag.objects.get_or_create(name="payments-api")
    services.api_token_create(user=author, name="Sync", scope="read")
    from postmortems.models import IncidentLink, IncidentWebhook

    webhook = IncidentWebhook.objects.create(name="PagerDuty", kind="pagerduty", template=template, author=author)
    IncidentLink.objects.create(webhook=webhook, external_id="Q1", postmortem=pm)
    return pm


def registered():
    return [pytest.param(model, model_admin, id=model._meta.label)
            for model, model_admin in sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)]


def test_the_desk_covers_the_models_facilitators_manage():
    labels = {model._meta.label for model in admin.site._registry}
    assert {
        "postmortems.PostMortem", "postmortems.ActionItem", "postmortems.Template", "postmortems.Team",
        "postmortems.FactorCategory", "postmortems.LanguageRule", "postmortems.Revision", "taggit.Tag",
        "knowledge.ReadingList", "knowledge.RelatedLink", "auth.User", "auth.Group",
    } <= labels


@pytest.mark.django_db
@pytest.mark.parametrize("model, model_admin", registered())
def test_every_changelist_add_and_change_page_renders_with_data(client, facilitator, everything, model,
                                                                model_admin):
    client.force_login(facilitator)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0, f"no {opts.verbose_name_plural} to show"
    obj = model._default_manager.order_by("pk").first()
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200
    request = RequestFactory().get("/")
    request.user = facilitator
    add_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    expected = 200 if model_admin.has_add_permission(request) else 403
    assert client.get(add_url).status_code == expected


def form_classes(model_admin, request):
    yield model_admin.model, model_admin.get_form(request, None)
    for inline in model_admin.get_inline_instances(request, None):
        yield inline.model, inline.get_formset(request, None).form


@pytest.mark.django_db
@pytest.mark.parametrize("model, model_admin", registered())
def test_every_field_a_facilitator_fills_in_has_help_text(facilitator, model, model_admin):
    if model in DJANGOS_OWN:
        pytest.skip("Django's own user and group forms")
    request = RequestFactory().get("/")
    request.user = facilitator
    if not model_admin.has_add_permission(request):
        pytest.skip("read-only in the admin")
    missing = []
    for form_model, form_class in form_classes(model_admin, request):
        for name, field in form_class.base_fields.items():
            if field.widget.is_hidden or name in ("DELETE", "id", "ORDER"):
                continue
            if not str(field.help_text or "").strip():
                missing.append(f"{form_model.__name__}.{name}")
    assert missing == []
