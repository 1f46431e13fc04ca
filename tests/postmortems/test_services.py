"""The post-mortem services called directly, as the admin, the importer, the demo and the API call them."""

import pytest
from django.core.exceptions import ValidationError

from postmortems import services
from postmortems.forms import ActionRowForm, ActionStatusForm, SendBackForm
from postmortems.models import ActionItem, ActionStatus, PostMortem, Template, TemplateSection

pytestmark = pytest.mark.django_db


# --- template sections -------------------------------------------------------------------------

def test_template_sections_are_copied_in_order_with_their_kind_guidance_and_requirement(make_postmortem):
    template = Template.objects.get(slug="standard")
    pm = make_postmortem(template=template)
    copied = services.postmortem_add_template_sections(postmortem=pm)
    expected = [(s.position, s.heading, s.guidance, s.kind, s.required, "") for s in template.sections.all()]
    assert expected
    assert [(s.position, s.heading, s.guidance, s.kind, s.required, s.body) for s in pm.sections.all()] == expected
    assert len(copied) == len(expected)
    assert not pm.revisions.exists()  # the caller records the change


def test_template_sections_take_the_bodies_given_by_heading(make_postmortem):
    template = Template.objects.get(slug="lightweight")
    first = template.sections.first()
    pm = make_postmortem()
    services.postmortem_add_template_sections(postmortem=pm, template=template, bodies={first.heading: "It broke."})
    bodies = dict(pm.sections.values_list("heading", "body"))
    assert bodies[first.heading] == "It broke."
    assert all(body == "" for heading, body in bodies.items() if heading != first.heading)


def test_no_template_copies_nothing(make_postmortem):
    pm = make_postmortem()
    assert services.postmortem_add_template_sections(postmortem=pm) == []
    assert not pm.sections.exists()


def test_creating_a_post_mortem_copies_its_template_through_the_same_service(author):
    template = Template.objects.get(slug="standard")
    pm = services.postmortem_create(user=author, template=template, title="Disk full", severity="sev2",
                                    started_at=None)
    assert list(pm.sections.values_list("heading", flat=True)) == list(template.sections.values_list("heading",
                                                                                                    flat=True))
    assert pm.revisions.get().snapshot["sections"][0]["heading"] == template.sections.first().heading


# --- template duplicate -------------------------------------------------------------------------

def test_duplicating_a_template_makes_an_inactive_copy_under_a_free_name():
    template = Template.objects.get(slug="standard")
    first = services.template_duplicate(template=template)
    second = services.template_duplicate(template=template)
    assert (first.name, first.slug, first.is_active) == (f"{template.name} (copy)", "standard-copy", False)
    assert (second.name, second.slug) == (f"{template.name} (copy) 2", "standard-copy-2")
    fields = ("position", "heading", "guidance", "kind", "required")
    assert list(first.sections.values_list(*fields)) == list(template.sections.values_list(*fields))
    assert TemplateSection.objects.filter(template=template).count() == template.sections.count()


# --- action items -------------------------------------------------------------------------------

def test_saving_a_new_action_item_records_it_on_the_post_mortem(make_postmortem, facilitator):
    pm = make_postmortem()
    item = services.action_item_save(action_item=ActionItem(postmortem=pm, title="Add an alert"), user=facilitator)
    assert item.pk
    revision = pm.revisions.get()
    assert (revision.action, revision.comment, revision.user) == ("action item added in admin", "“Add an alert”",
                                                                  facilitator)
    assert revision.snapshot["action_items"][0]["title"] == "Add an alert"


def test_saving_a_status_change_keeps_completion_and_refuses_wont_do_without_a_reason(make_postmortem, facilitator):
    pm = make_postmortem()
    item = ActionItem.objects.create(postmortem=pm, title="Add an alert")
    item.status = ActionStatus.WONT_DO
    with pytest.raises(ValidationError) as refused:
        services.action_item_save(action_item=item, user=facilitator, status_changed=True)
    assert refused.value.message_dict == {"wont_do_reason": ["Say why this will not be done."]}
    assert not pm.revisions.exists()
    item.wont_do_reason = "  Replaced by the pager  "
    services.action_item_save(action_item=item, user=facilitator, status_changed=True)
    item.refresh_from_db()
    assert (item.status, item.wont_do_reason) == ("wont_do", "Replaced by the pager")
    assert item.completed_at is not None
    assert pm.revisions.get().action == "action item edited in admin"


def test_deleting_action_items_records_one_revision_per_post_mortem(make_postmortem, facilitator):
    first, second = make_postmortem(), make_postmortem()
    ActionItem.objects.bulk_create([ActionItem(postmortem=first, title="a"), ActionItem(postmortem=first, title="b"),
                                    ActionItem(postmortem=second, title="c")])
    services.action_items_delete(action_items=ActionItem.objects.all(), user=facilitator)
    assert not ActionItem.objects.exists()
    assert [pm.revisions.get().action for pm in (first, second)] == ["action items deleted in admin"] * 2


def test_deleting_one_action_item_names_it_in_the_history(make_postmortem, facilitator):
    pm = make_postmortem()
    item = ActionItem.objects.create(postmortem=pm, title="Rotate the key")
    services.action_item_delete(action_item=item, user=facilitator)
    assert not ActionItem.objects.filter(pk=item.pk).exists()
    assert (pm.revisions.get().action, pm.revisions.get().comment) == ("action item deleted in admin",
                                                                        "“Rotate the key”")


# --- one rule, asked everywhere ----------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "   ", None])
def test_wont_do_needs_a_reason_in_the_model_and_every_form(make_postmortem, reason):
    item = ActionItem(postmortem=make_postmortem(), title="x", status=ActionStatus.WONT_DO, wont_do_reason=reason or "")
    with pytest.raises(ValidationError) as refused:
        item.clean()
    message = "Say why this will not be done."
    assert refused.value.message_dict == {"wont_do_reason": [message]}
    status_form = ActionStatusForm({"status": "wont_do", "reason": reason or ""})
    assert not status_form.is_valid() and status_form.errors["reason"] == [message]
    row = ActionRowForm({"title": "x", "kind": "prevent", "priority": "medium", "status": "wont_do",
                         "wont_do_reason": reason or ""})
    assert not row.is_valid() and row.errors["wont_do_reason"] == [message]


def test_other_statuses_need_no_reason():
    assert ActionStatusForm({"status": "done", "reason": ""}).is_valid()


@pytest.mark.parametrize("comment", ["", "   \n  "])
def test_send_back_needs_a_comment_in_the_form_and_the_service(make_postmortem, facilitator, comment):
    form = SendBackForm({"comment": comment})
    assert not form.is_valid()
    pm = make_postmortem(status="in_review")
    with pytest.raises(ValidationError):
        services.postmortem_send_back(postmortem=pm, user=facilitator, comment=comment)
    pm.refresh_from_db()
    assert pm.status == "in_review"


def test_send_back_form_keeps_the_comment_trimmed():
    form = SendBackForm({"comment": "  Add the impact.  "})
    assert form.is_valid() and form.cleaned_data["comment"] == "Add the impact."


# --- read paths the library shares -------------------------------------------------------------

def test_with_open_actions_prefetches_only_open_items_soonest_first(make_postmortem, django_assert_num_queries):
    pm = make_postmortem()
    ActionItem.objects.create(postmortem=pm, title="done", status=ActionStatus.DONE)
    later = ActionItem.objects.create(postmortem=pm, title="later", due_date="2030-01-02")
    sooner = ActionItem.objects.create(postmortem=pm, title="sooner", due_date="2030-01-01")
    with django_assert_num_queries(5):  # post-mortems, teams, tags, authors, open items
        found = list(PostMortem.objects.filter(pk=pm.pk).with_open_actions())
        assert [a.pk for a in found[0].open_actions] == [sooner.pk, later.pk]


# --- saving a layout document strictly (the admin's save) -----------------------------------------

@pytest.fixture
def laid_out(make_postmortem, author):
    """A draft with two sections and a timeline event, saved once, so it has a revision to start from."""
    from datetime import UTC, datetime

    from postmortems.models import Section, TimelineEvent

    pm = make_postmortem(title="Cache flush", authors=[author])
    Section.objects.create(postmortem=pm, position=1, heading="Summary", body="It broke.", kind="summary",
                           required=True, guidance="Two sentences.")
    Section.objects.create(postmortem=pm, position=2, heading="Notes", body="", kind="narrative")
    TimelineEvent.objects.create(postmortem=pm, occurred_at=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
                                 description="Alert fired.")
    services.postmortem_record_change(postmortem=pm, user=author, action="created")
    return pm


def strict_save(pm, doc, *, user, base_version=None, **kwargs):
    return services.postmortem_save(postmortem=pm, user=user, base_version=pm.version if base_version is None
                                    else base_version, document=doc, strict=True, layout=True, **kwargs)


def test_the_layout_document_carries_each_sections_layout_and_the_facilitator(laid_out, facilitator):
    laid_out.facilitator = facilitator
    laid_out.save()
    doc = services.document_of(laid_out, layout=True)
    assert doc["facilitator"] == facilitator.username
    assert [(s["heading"], s["kind"], s["guidance"], s["required"], s["position"]) for s in doc["sections"]] == [
        ("Summary", "summary", "Two sentences.", True, 1), ("Notes", "narrative", "", False, 2)]
    plain = services.document_of(laid_out)
    assert "facilitator" not in plain and set(plain["sections"][0]) == {"id", "heading", "body"}
    assert set(laid_out.revisions.get().snapshot["sections"][0]) == {"id", "heading", "body"}  # snapshots unchanged


def test_a_strict_save_that_changes_nothing_records_nothing(laid_out, facilitator):
    version = laid_out.version
    result = strict_save(laid_out, services.document_of(laid_out, layout=True), user=facilitator)
    assert (result.revision, result.version) == (None, version)
    assert laid_out.revisions.count() == 1


def test_a_strict_save_writes_layout_adds_and_removes_sections_in_one_revision(laid_out, facilitator, author):
    from knowledge.models import SearchDocument
    from postmortems.models import LanguageFinding

    doc = services.document_of(laid_out, layout=True)
    summary, notes = doc["sections"]
    summary.update(kind="impact", guidance="Who noticed?", required=False, position=5,
                   body="The on-call engineer carelessly restarted the primary.")
    doc["sections"] = [summary, {"id": None, "heading": "Follow-up", "body": "Watch the cache.", "kind": "lessons",
                                 "guidance": "", "required": True, "position": 3}]
    doc["facilitator"] = facilitator.username
    result = strict_save(laid_out, doc, user=facilitator, action="edited in admin")
    assert (result.revision.action, result.revision.user, result.version) == ("edited in admin", facilitator, 3)
    rows = list(laid_out.sections.values_list("heading", "kind", "guidance", "required", "position"))
    assert rows == [("Follow-up", "lessons", "", True, 3), ("Summary", "impact", "Who noticed?", False, 5)]
    assert not laid_out.sections.filter(pk=notes["id"]).exists()
    laid_out.refresh_from_db()
    assert laid_out.facilitator == facilitator
    assert laid_out.revisions.count() == 2
    assert "carelessly" in SearchDocument.objects.get(pk=laid_out.pk).body  # the search entry follows the save
    assert LanguageFinding.objects.filter(postmortem=laid_out).exists()  # and so do the coach's findings


def test_a_strict_save_from_an_older_version_is_refused_and_writes_nothing(laid_out, facilitator, author):
    doc = services.document_of(laid_out, layout=True)
    loaded = laid_out.version
    services.postmortem_save(postmortem=laid_out, user=author, base_version=loaded,
                             document={**services.document_of(laid_out), "summary": "Author's summary"})
    doc["title"] = "Facilitator's title"
    with pytest.raises(ValidationError, match="Someone else saved this post-mortem after you opened it"):
        strict_save(laid_out, doc, user=facilitator, base_version=loaded)
    laid_out.refresh_from_db()
    assert (laid_out.title, laid_out.summary) == ("Cache flush", "Author's summary")
    assert laid_out.revisions.count() == 2


def test_the_same_stale_save_without_strict_merges(laid_out, facilitator, author):
    loaded, doc = laid_out.version, services.document_of(laid_out, layout=True)
    services.postmortem_save(postmortem=laid_out, user=author, base_version=loaded,
                             document={**services.document_of(laid_out), "summary": "Author's summary"})
    doc["title"] = "Facilitator's title"
    doc["sections"][1]["kind"] = "lessons"
    services.postmortem_save(postmortem=laid_out, user=facilitator, base_version=loaded, document=doc, layout=True)
    laid_out.refresh_from_db()
    assert (laid_out.title, laid_out.summary) == ("Facilitator's title", "Author's summary")
    assert laid_out.sections.get(heading="Notes").kind == "lessons"


def test_a_document_without_layout_keeps_the_sections_it_leaves_out_and_their_layout(laid_out, author):
    doc = services.document_of(laid_out)
    doc["sections"] = [{**doc["sections"][0], "body": "Shorter."}]
    services.postmortem_save(postmortem=laid_out, user=author, base_version=laid_out.version, document=doc)
    rows = list(laid_out.sections.values_list("heading", "body", "kind", "required"))
    assert rows == [("Summary", "Shorter.", "summary", True), ("Notes", "", "narrative", False)]


def test_an_unknown_facilitator_is_refused_and_nothing_is_written(laid_out, facilitator):
    doc = services.document_of(laid_out, layout=True)
    doc.update(facilitator="nobody-by-that-name", title="Changed")
    with pytest.raises(ValidationError, match="no user called"):
        strict_save(laid_out, doc, user=facilitator)
    laid_out.refresh_from_db()
    assert (laid_out.title, laid_out.revisions.count()) == ("Cache flush", 1)


def test_a_strict_save_follows_the_restriction_rule(laid_out, author, facilitator):
    from django.core.exceptions import PermissionDenied

    PostMortem.objects.filter(pk=laid_out.pk).update(restricted=True)
    doc = services.document_of(laid_out, layout=True)
    with pytest.raises(PermissionDenied):
        strict_save(laid_out, doc, user=author, restricted=False)
    assert strict_save(laid_out, doc, user=facilitator, restricted=False).revision is not None
    laid_out.refresh_from_db()
    assert laid_out.restricted is False


def test_the_layout_of_a_published_post_mortem_is_not_changed(laid_out, facilitator):
    PostMortem.objects.filter(pk=laid_out.pk).update(status="published")
    doc = services.document_of(laid_out, layout=True)
    doc["sections"][0]["required"] = False
    with pytest.raises(ValidationError, match="through an amendment"):
        strict_save(laid_out, doc, user=facilitator)
    assert laid_out.sections.get(heading="Summary").required is True


def test_creating_from_a_layout_document_keeps_its_sections_and_people(facilitator, author):
    from postmortems import documents

    template = Template.objects.get(slug="standard")
    doc = {**documents.empty(layout=True), "title": "Disk full", "severity": "sev2", "authors": [author.username],
           "facilitator": facilitator.username, "tags": ["disk"],
           "sections": [{"id": None, "heading": "What happened", "body": "The disk filled.", "kind": "narrative",
                         "guidance": "", "required": True, "position": 1}]}
    pm = services.postmortem_create(user=facilitator, template=template, title="Disk full", severity="sev2",
                                    started_at=None, slug="disk-full", document=doc, action="created in admin")
    assert (pm.slug, pm.facilitator, list(pm.authors.all()), list(pm.tags.names())) == (
        "disk-full", facilitator, [author], ["disk"])
    assert list(pm.sections.values_list("heading", "required")) == [("What happened", True)]
    revision = pm.revisions.get()
    assert (revision.action, revision.version, revision.user) == ("created in admin", 1, facilitator)


def test_creating_from_a_layout_document_without_sections_copies_the_template(facilitator):
    from postmortems import documents

    template = Template.objects.get(slug="standard")
    doc = {**documents.empty(layout=True), "title": "Disk full", "severity": "sev2"}
    pm = services.postmortem_create(user=facilitator, template=template, title="Disk full", severity="sev2",
                                    started_at=None, document=doc)
    assert list(pm.sections.values_list("heading", flat=True)) == list(
        template.sections.values_list("heading", flat=True))
    assert not pm.authors.exists()  # the document names the authors; the creating facilitator is not one
