"""Post-mortems on the desk: the list and review queue, the change form with its inline rows, and the
review actions (publish, send back, restrict).

Every change made here goes through postmortems.services, so it leaves a Revision and refreshes the
search index and the coach's findings like a change on the web pages. Knowledge's admin adds the
"add to a reading list" action (knowledge/admin.py): reading lists are the library's.

Just over 500 lines: one model's admin (list, review actions, the change form and its four inline
row kinds, which postmortems/admin/form_document.py reads back into the service's document).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from taggit.models import Tag
from taggit.utils import parse_tags

from postmortems import services
from postmortems.admin.action_items import ActionItemInline
from postmortems.admin.common import (
    AutocompleteSelectMultiple,
    BoundedDateHierarchy,
    HelpTexts,
    SafeAutocompleteMixin,
    action_form,
    action_form_page,
    count_of,
    names,
    person,
)
from postmortems.admin.form_document import form_document, note_saved_rows
from postmortems.forms import SendBackForm, validate_tag_names
from postmortems.models import (
    ActionItem,
    Amendment,
    AmendmentStatus,
    ContributingFactor,
    FindingDismissal,
    LanguageFinding,
    PostMortem,
    Section,
    Status,
    TimelineEvent,
)
from postmortems.roles import is_facilitator


def open_action_items_count():
    return count_of(ActionItem.objects.still_open())


def open_findings_count():
    """Count the coach's findings on each post-mortem that no author has dismissed."""
    dismissed = FindingDismissal.objects.filter(
        postmortem_id=OuterRef("postmortem_id"),
        rule_slug=OuterRef("rule_slug"),
        location=OuterRef("location"),
        text=OuterRef("text"),
    )
    return count_of(LanguageFinding.objects.filter(~Exists(dismissed)))


class ReviewQueueFilter(admin.SimpleListFilter):
    """The review queue: what waits in review, oldest first, with the coach's open findings."""

    title = "review queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("review", "Waiting for review, oldest first")]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.awaiting_review()
        return queryset


def in_review_queue(request) -> bool:
    return request.GET.get(ReviewQueueFilter.parameter_name) == "review"



class SectionInline(HelpTexts, admin.StackedInline):
    model = Section
    extra = 0
    ordering = ["position", "id"]
    fields = [("position", "heading", "kind", "required"), "guidance", "body"]
    help_texts = {
        "position": "Sections appear in this order.",
        "heading": "The section's title as readers see it.",
        "kind": "What the section is for; the language coach scopes its rules by it.",
        "required": "Required sections must be written before the post-mortem can go to review.",
        "guidance": "The prompt the writer saw for this section (copied from the template).",
        "body": "The section's text, in Markdown.",
    }
    text_rows = {"guidance": 2, "body": 10}


class TimelineEventInline(HelpTexts, admin.TabularInline):
    model = TimelineEvent
    extra = 0
    fields = ["occurred_at", "kind", "description", "evidence_url"]
    help_texts = {
        "occurred_at": "When it happened (your time zone).",
        "kind": "Detection, escalation, action, communication, mitigation, resolution or observation.",
        "description": "What happened. Name people by role, not by name.",
        "evidence_url": "A link to a graph, log or chat message, if there is one.",
    }
    text_rows = {"description": 2}


class ContributingFactorInline(HelpTexts, admin.TabularInline):
    model = ContributingFactor
    extra = 0
    fields = ["position", "category", "description"]
    ordering = ["position", "id"]
    help_texts = {
        "position": "Factors are listed in this order.",
        "category": "The kind of factor (change, capacity, dependency, …).",
        "description": "How it contributed. Conditions and decisions, not culprits.",
    }
    text_rows = {"description": 2}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "category":  # categories are managed on their own page; keep the row uncluttered
            field.widget = field.widget.widget
        return field

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category")



class PostMortemAdminForm(forms.ModelForm):
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    new_tags = forms.CharField(
        required=False,
        help_text="Tags that do not exist yet, comma-separated. Prefer an existing tag above when one fits.",
    )

    class Meta:
        model = PostMortem
        fields = [
            "title", "slug", "summary", "severity", "restricted", "started_at", "detected_at", "mitigated_at",
            "resolved_at", "teams", "tags", "authors", "facilitator", "template",
        ]
        help_texts = {
            "title": "What happened, in words readers will search for (e.g. “Checkout errors after cache flush”).",
            "slug": "The post-mortem's address, as in /postmortems/this-slug/. Fixed once created.",
            "severity": "SEV1 is the most severe.",
            "started_at": "When the incident began (your time zone).",
            "detected_at": "When someone or something noticed. Time to detect is derived from it.",
            "mitigated_at": "When the impact stopped growing. Time to mitigate is derived from it.",
            "resolved_at": "When the incident was over. Time to resolve is derived from it.",
            "teams": "The teams involved, for filtering and insights.",
            "tags": "Existing tags: start typing to find one.",
            "template": "The template the sections were copied from. On a new post-mortem its sections are "
            "copied in when you save without adding sections yourself.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["base_version"].initial = self.instance.version

    def clean_new_tags(self):
        names = parse_tags(self.cleaned_data.get("new_tags") or "")
        validate_tag_names(names)
        return names

    user = None  # set by PostMortemAdmin.get_form: who is saving
    refused = None  # set by PostMortemAdmin.get_form: why the services refused this save, on the second pass

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "restricted" in cleaned:
            try:
                services.check_restriction_change(
                    user=self.user, postmortem=self.instance, restricted=cleaned["restricted"]
                )
            except PermissionDenied as exc:
                self.add_error("restricted", str(exc))
        if self.refused is not None:
            # The services refused the save after this form was valid (someone else saved since it
            # was opened, say); nothing was written, and the page shows the form again with why.
            raise ValidationError(self.refused.messages)
        if self.instance.pk and cleaned.get("base_version") is None:
            raise ValidationError("Open the post-mortem again, then make your change.", code="stale")
        if "tags" in cleaned:
            cleaned["tags"] = list(cleaned["tags"] or []) + list(cleaned.get("new_tags") or [])
        return cleaned


@admin.register(PostMortem)
class PostMortemAdmin(SafeAutocompleteMixin, BoundedDateHierarchy, admin.ModelAdmin):
    form = PostMortemAdminForm
    list_display = [
        "title",
        "status_label",
        "severity_label",
        "team_names",
        "tag_names",
        "author_names",
        "age_in_status",
        "open_action_items",
    ]
    list_display_links = ["title"]
    list_filter = [ReviewQueueFilter, "status", "severity", "teams", "tags", "restricted"]
    date_hierarchy = "started_at"
    search_fields = ["title", "summary"]
    autocomplete_fields = ["teams", "authors", "facilitator"]
    prepopulated_fields = {"slug": ["title"]}
    list_per_page = 50
    inlines = [SectionInline, TimelineEventInline, ContributingFactorInline, ActionItemInline]
    actions = ["publish", "send_back", "mark_restricted", "mark_unrestricted"]  # knowledge.admin adds its own
    readonly_fields = [
        "status",
        "status_changed_at",
        "published_at",
        "version",
        "durations",
        "recent_revisions",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["base_version", "title", "slug", "summary", ("severity", "status"), "restricted"]}),
        ("When", {"fields": [("started_at", "detected_at"), ("mitigated_at", "resolved_at"), "durations"]}),
        ("People and labels", {"fields": ["teams", "tags", "new_tags", "authors", "facilitator"]}),
        (
            "Record",
            {
                "fields": [
                    "template",
                    ("status_changed_at", "published_at"),
                    ("version", "created_at", "updated_at"),
                    "recent_revisions",
                ],
                "description": "Status changes only through the actions (publish, send back), so each one "
                "is recorded with who did it and why.",
            },
        ),
    ]

    def get_queryset(self, request):
        pending = Amendment.objects.pending().filter(postmortem=OuterRef("pk")).values("status")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(open_action_item_count=open_action_items_count(), open_finding_count=open_findings_count(),
                      amendment_status=Subquery(pending))
            .prefetch_related("teams", "tags", "authors")
        )

    def has_change_permission(self, request, obj=None):
        # A published post-mortem's text changes only through an amendment, reviewed in the editor
        # like a first publication; here it is shown read-only (restricting and the review actions
        # still work).
        if obj is not None and obj.status == Status.PUBLISHED:
            return False
        return super().has_change_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id:
            obj = self.get_object(request, object_id)
            if obj is not None and obj.status == Status.PUBLISHED:
                extra_context["pending_amendment"] = services.pending_amendment(obj)
                extra_context["published_read_only"] = True
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refused:
            # Raised by a service while saving (the save ran in one transaction, now rolled back):
            # show the form again, with the facilitator's input and the reason.
            request.hindsight_refused = refused
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_ordering(self, request):
        if in_review_queue(request):
            return ["status_changed_at"]
        return super().get_ordering(request)

    def changelist_view(self, request, extra_context=None):
        title = "Review queue: waiting for review, oldest first" if in_review_queue(request) else "Post-mortems"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def get_list_display(self, request):
        if in_review_queue(request):
            return ["title", "review_kind", "severity_label", "team_names", "author_names", "waiting_for",
                    "open_findings", "open_action_items", "tag_names"]
        return super().get_list_display(request)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["slug", "template"]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"user": request.user,
                                             "refused": getattr(request, "hindsight_refused", None)})

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            return forms.ModelMultipleChoiceField(
                queryset=Tag.objects.all(),
                required=False,
                widget=AutocompleteSelectMultiple(db_field, self.admin_site),
                label="Tags",
                help_text=PostMortemAdminForm.Meta.help_texts["tags"],
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("started_at", timezone.now())
        return initial

    # Columns

    @admin.display(description="Status", ordering="status")
    def status_label(self, obj):
        restricted = mark_safe('<br><span class="hs-restricted">Restricted</span>') if obj.restricted else ""
        amendment = getattr(obj, "amendment_status", None)
        if amendment:
            label = "amendment in review" if amendment == AmendmentStatus.IN_REVIEW else "amendment in draft"
            restricted = format_html('<br><span class="hs-status hs-status--{}">{}</span>{}', amendment, label,
                                     restricted)
        return format_html(
            '<span class="hs-status hs-status--{}">{}</span>{}', obj.status, obj.get_status_display(), restricted
        )

    @admin.display(description="Severity", ordering="severity")
    def severity_label(self, obj):
        return format_html('<span class="hs-sev hs-sev--{}">{}</span>', obj.severity, obj.get_severity_display())

    @admin.display(description="Teams")
    def team_names(self, obj):
        return names(obj.teams.all())

    @admin.display(description="Tags")
    def tag_names(self, obj):
        return names(sorted(t.name for t in obj.tags.all()))

    @admin.display(description="Authors")
    def author_names(self, obj):
        return names(person(u) for u in obj.authors.all())

    @admin.display(description="In status for", ordering="status_changed_at")
    def age_in_status(self, obj):
        return timesince(obj.status_changed_at, depth=1)

    @admin.display(description="To review")
    def review_kind(self, obj):
        if getattr(obj, "amendment_status", None) == AmendmentStatus.IN_REVIEW:
            return format_html('<span class="hs-status hs-status--in_review">{}</span>', "amendment in review")
        return "first publication"

    @admin.display(description="Waiting for", ordering="status_changed_at")
    def waiting_for(self, obj):
        return timesince(obj.status_changed_at, depth=1)

    @admin.display(description="Open actions", ordering="open_action_item_count")
    def open_action_items(self, obj):
        return obj.open_action_item_count

    @admin.display(description="Open coach findings", ordering="open_finding_count")
    def open_findings(self, obj):
        return obj.open_finding_count

    @admin.display(description="Durations")
    def durations(self, obj):
        from postmortems.templatetags.hindsight import duration

        rows = [("to detect", obj.time_to_detect), ("to mitigate", obj.time_to_mitigate),
                ("to resolve", obj.time_to_resolve)]
        return format_html_join(" · ", "{} {}", ((duration(v) if v else "—", label) for label, v in rows))

    @admin.display(description="Recent history")
    def recent_revisions(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        revisions = obj.revisions.select_related("user")[:5]
        if not revisions:
            return "—"
        rows = format_html_join(
            "",
            "<li>v{} · {} · {} · {}{}</li>",
            (
                (
                    r.version,
                    r.action,
                    r.editor_name,
                    timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                    format_html(" — “{}”", r.comment) if r.comment else "",
                )
                for r in revisions
            ),
        )
        link = reverse("admin:postmortems_revision_changelist") + f"?postmortem__id__exact={obj.pk}"
        return format_html('<ul class="hs-history">{}</ul><a href="{}">All revisions</a>', rows, link)

    # Saving: the form and its inline rows are read as one document and saved by the editor's service
    # (postmortem_save; a new post-mortem by postmortem_create), so a save is one Revision, a save that
    # changes nothing records none, and the restriction, coach and search rules are the editor's. Unlike
    # the editor's, the admin's save is refused, not merged, when someone saved since the form was opened.

    def save_model(self, request, obj, form, change):
        """Nothing is written here: save_related writes the post-mortem with its rows, in one service call."""

    def save_formset(self, request, form, formset, change):
        """Nothing is written here: see save_model."""

    def save_related(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if change:
            postmortem = PostMortem.objects.get(pk=form.instance.pk)
            doc = form_document(form, formsets, stored=services.document_of(postmortem, layout=True))
            result = services.postmortem_save(
                postmortem=postmortem, user=request.user, base_version=cleaned["base_version"], document=doc,
                restricted=cleaned["restricted"], strict=True, layout=True, action="edited in admin",
            )
            if result.revision is None:
                self.message_user(request, "Nothing had changed, so no revision was recorded.", messages.INFO)
                request.hindsight_unchanged = True
        else:
            postmortem = services.postmortem_create(
                user=request.user, template=cleaned["template"], title=cleaned["title"],
                severity=cleaned["severity"], started_at=cleaned["started_at"], restricted=cleaned["restricted"],
                slug=cleaned["slug"], document=form_document(form, formsets, stored=None),
                action="created in admin",
            )
        for field in PostMortem._meta.concrete_fields:  # Django's response pages read the saved row
            setattr(form.instance, field.attname, getattr(postmortem, field.attname))
        form.instance._state.adding = False
        note_saved_rows(formsets)

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if level == messages.SUCCESS and getattr(request, "hindsight_unchanged", False):
            return  # Django's "was changed successfully" after a save that changed nothing, as said already
        super().message_user(request, message, level, *args, **kwargs)

    # Deleting: Django's own; the search entry, revisions and the rest go with it (on_delete=CASCADE).

    # Actions: each goes through the same service as the web pages.

    def has_publish_permission(self, request):
        return is_facilitator(request.user)

    def _apply(self, request, queryset, verb: str, apply) -> None:
        done, refused = [], []
        for postmortem in queryset:
            try:
                with transaction.atomic():
                    apply(postmortem)
            except (ValidationError, PermissionDenied) as exc:
                reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                refused.append(f"“{postmortem.title}”: {reason}")
            else:
                done.append(f"“{postmortem.title}”")
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not changed — " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Publish (or publish its amendment)", permissions=["publish"])
    def publish(self, request, queryset):
        def publish(pm):
            if pm.status == Status.PUBLISHED and services.pending_amendment(pm) is not None:
                return services.amendment_publish(postmortem=pm, user=request.user)
            return services.postmortem_publish(postmortem=pm, user=request.user)

        self._apply(request, queryset, "Published", publish)

    @admin.action(description="Send back to draft, with a comment…", permissions=["publish"])
    def send_back(self, request, queryset):
        form = action_form(SendBackForm, request)
        if form.is_bound and form.is_valid():
            comment = form.cleaned_data["comment"]

            def send_back(pm):
                if pm.status == Status.PUBLISHED and services.pending_amendment(pm) is not None:
                    return services.amendment_send_back(postmortem=pm, user=request.user, comment=comment)
                return services.postmortem_send_back(postmortem=pm, user=request.user, comment=comment)

            self._apply(request, queryset, "Sent back to draft", send_back)
            return None
        return action_form_page(
            self, request, queryset, form=form, action="send_back",
            title="Send back to draft",
            intro="These post-mortems go back to their authors as drafts. Your comment is recorded in each "
            "one's history, so say what needs another look.",
            submit_label="Send back",
        )

    @admin.action(description="Mark restricted (authors and facilitators only)", permissions=["publish"])
    def mark_restricted(self, request, queryset):
        self._apply(request, queryset, "Restricted", lambda pm: services.postmortem_set_restricted(
            postmortem=pm, user=request.user, restricted=True))

    @admin.action(description="Mark unrestricted", permissions=["publish"])
    def mark_unrestricted(self, request, queryset):
        self._apply(request, queryset, "Unrestricted", lambda pm: services.postmortem_set_restricted(
            postmortem=pm, user=request.user, restricted=False))
