"""The facilitator's desk: post-mortems, the review queue, templates, taxonomy, action items,
language rules, and the role groups explained.

Every change to a post-mortem made here goes through postmortems.services, so it leaves a
Revision and refreshes the search index and the coach's findings like a change on the web pages.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from taggit.models import Tag
from taggit.utils import parse_tags

from knowledge.services import reading_list_append
from postmortems import services
from postmortems.admin_actions import (
    AddToReadingListForm,
    SendBackForm,
    WontDoForm,
    action_form,
    action_form_page,
    count_of,
    highlight,
    open_action_items_count,
    open_findings_count,
    template_duplicate,
)
from postmortems.admin_widgets import AutocompleteSelectMultiple, SafeAutocompleteMixin
from postmortems.coach.checks import rule_matches
from postmortems.coach.patterns import pattern_error
from postmortems.forms import validate_tag_names
from postmortems.models import (
    ActionItem,
    ActionStatus,
    Amendment,
    AmendmentStatus,
    ContributingFactor,
    FactorCategory,
    FindingDismissal,
    LanguageFinding,
    LanguageRule,
    PostMortem,
    Revision,
    Section,
    SectionKind,
    Status,
    Team,
    Template,
    TemplateSection,
    TimelineEvent,
    incident_time_bounds,
)
from postmortems.roles import AUTHORS, FACILITATORS, READERS, is_facilitator

ROLE_HELP = {
    READERS: "Read published, unrestricted post-mortems; search; follow reading lists.",
    AUTHORS: "All a Reader may; start post-mortems, edit the ones they author, submit them for review.",
    FACILITATORS: (
        "All an Author may, on every post-mortem; review, publish and send back; see restricted ones; "
        "use this desk (with Staff status ticked)."
    ),
}
ROLES_IN_ONE_LINE = (
    "The role groups: Readers read published write-ups; Authors also write and edit their own; "
    "Facilitators also review, publish, send back and see restricted ones, and — with Staff status — "
    "use this desk. Give each person one role group."
)


class BoundedDateHierarchy:
    """A date drill-down (`date_hierarchy`) over 1970 to a year ahead, the span incident times may have.

    Django lists the drill-down's years, months and days by converting dates to the reader's time
    zone in the database, and computes the end of the year a link asks for: a date stored out of
    range (year 1, year 9999, from before incident times were checked or a raw SQL edit) or a link
    to such a year overflows there. The drill-down leaves such rows out (they stay in the list, see
    postmortems.templatetags.hindsight_admin), and a link to a year outside the span is answered
    with a message instead of an error, like a hand-written filter that converts such a date (SQLite
    reports the overflow as a DataError).
    """

    change_list_template = "admin/hindsight/change_list.html"

    def get_changelist(self, request, **kwargs):
        return CalendarSafeChangeList

    def changelist_view(self, request, extra_context=None):
        first, last = (timezone.localtime(bound).year for bound in incident_time_bounds())
        field = self.date_hierarchy
        asked = request.GET.getlist(f"{field}__year")
        if field and asked and not all(_year_within(year, first, last) for year in asked):
            self.message_user(request, f"The dates go from {first} to {last}: choose a year from those.",
                              messages.WARNING)
            params = request.GET.copy()
            for part in ("year", "month", "day"):
                params.pop(f"{field}__{part}", None)
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}" if params else request.path)
        return super().changelist_view(request, extra_context)

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except DataError as error:
            self.message_user(request, "That filter could not be applied: a date stored out of range cannot be "
                              "converted to your time zone.", messages.WARNING)
            raise IncorrectLookupParameters(error) from error


def _year_within(text: str, first: int, last: int) -> bool:
    try:
        return first <= int(text) <= last
    except ValueError:
        return False


def _names(objects) -> str:
    return ", ".join(str(o) for o in objects) or "—"


def _person(user) -> str:
    return user.get_full_name() or user.username


# --- Post-mortems ------------------------------------------------------------------------------

class CalendarSafeChangeList(ChangeList):
    """Django's change list, answering a date drill-down outside the calendar (year 99999, the last month
    of 9999) as any other bad filter, instead of with the OverflowError or ValueError it raises."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


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


class HelpTexts:
    """Give a ModelAdmin's or inline's form the help text a facilitator needs (without a migration)."""

    help_texts: dict[str, str] = {}
    text_rows: dict[str, int] = {}
    labels = {"postmortem": "Post-mortem"}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def _form_kwargs(self, kwargs):
        kwargs.setdefault("help_texts", self.help_texts)
        kwargs.setdefault("labels", self.labels)
        css = "hs-cell-text" if isinstance(self, admin.TabularInline) else "vLargeTextField"
        widgets = {name: forms.Textarea(attrs={"rows": rows, "class": css}) for name, rows in self.text_rows.items()}
        kwargs.setdefault("widgets", widgets)
        return kwargs

    def get_form(self, request, obj=None, **kwargs):
        return super().get_form(request, obj, **self._form_kwargs(kwargs))

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, **self._form_kwargs(kwargs))


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


ACTION_ITEM_HELP = {
    "title": "A specific, bounded piece of work that starts with a verb.",
    "description": "What done looks like, and any context the owner needs.",
    "kind": "Prevent, mitigate, detect, process or repair.",
    "priority": "High-priority items need an owner and a due date.",
    "due_date": "When it should be done by.",
    "status": "Open, in progress, done, or won't do (which needs a reason).",
    "wont_do_reason": "Required when the status is won't do.",
    "tracker_url": "The ticket in your tracker, if there is one.",
    "postmortem": "The post-mortem this follow-up came from.",
}


class ActionItemInline(SafeAutocompleteMixin, HelpTexts, admin.StackedInline):
    model = ActionItem
    extra = 0
    fields = [
        "title",
        ("kind", "priority", "status"),
        ("owner", "due_date"),
        "description",
        "wont_do_reason",
        "tracker_url",
    ]
    autocomplete_fields = ["owner"]
    help_texts = ACTION_ITEM_HELP
    text_rows = {"description": 2, "wont_do_reason": 2}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")


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

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "restricted" in cleaned:
            try:
                services.check_restriction_change(
                    user=self.user, postmortem=self.instance, restricted=cleaned["restricted"]
                )
            except PermissionDenied as exc:
                self.add_error("restricted", str(exc))
        if self.instance.pk:
            base = cleaned.get("base_version")
            # Lock the row for the rest of the save: of two people saving from one version, the
            # second waits here and then sees the version has moved on.
            current = PostMortem.objects.select_for_update().values_list("version", flat=True).get(pk=self.instance.pk)
            if base is None or base != current:
                raise ValidationError(
                    "Someone else saved this post-mortem after you opened it (it is now at version %(v)s). "
                    "Open it again to see their changes, then make yours.",
                    params={"v": current},
                    code="stale",
                )
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
    actions = ["publish", "send_back", "mark_restricted", "mark_unrestricted", "add_to_reading_list"]
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
        return type(form.__name__, (form,), {"user": request.user})

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
        return _names(obj.teams.all())

    @admin.display(description="Tags")
    def tag_names(self, obj):
        return _names(sorted(t.name for t in obj.tags.all()))

    @admin.display(description="Authors")
    def author_names(self, obj):
        return _names(_person(u) for u in obj.authors.all())

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

    # Saving: the change goes through the services, so it leaves a Revision.

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = 0  # postmortem_record_change makes the first revision version 1
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is ActionItem:
            for item_form in formset.forms:
                instance = item_form.instance
                if item_form.has_changed() and "status" in item_form.changed_data and instance.status:
                    instance.set_status(instance.status, instance.wont_do_reason)
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        postmortem = PostMortem.objects.get(pk=form.instance.pk)
        if not change and postmortem.template_id and not postmortem.sections.exists():
            Section.objects.bulk_create(
                Section(postmortem=postmortem, position=s.position, heading=s.heading, guidance=s.guidance,
                        kind=s.kind, required=s.required)
                for s in postmortem.template.sections.all()
            )
        services.postmortem_record_change(
            postmortem=postmortem,
            user=request.user,
            base_version=form.cleaned_data.get("base_version") if change else None,
            action="edited in admin" if change else "created in admin",
        )
        form.instance.version = postmortem.version

    def delete_model(self, request, obj):
        from knowledge import search

        pk = obj.pk
        super().delete_model(request, obj)
        search.remove_postmortem(pk)

    def delete_queryset(self, request, queryset):
        from knowledge import search

        pks = list(queryset.values_list("pk", flat=True))
        PostMortem.objects.filter(pk__in=pks).delete()
        for pk in pks:
            search.remove_postmortem(pk)

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

    @admin.action(description="Add to a reading list…", permissions=["publish"])
    def add_to_reading_list(self, request, queryset):
        form = action_form(AddToReadingListForm, request)
        if form.is_bound and form.is_valid():
            reading_list = form.cleaned_data["reading_list"]
            added = reading_list_append(
                reading_list=reading_list, postmortems=queryset, note=form.cleaned_data["note"]
            )
            skipped = len(queryset) - len(added)
            text = f"Added {len(added)} to “{reading_list}”."
            if skipped:
                text += f" {skipped} already on it."
            self.message_user(request, text, messages.SUCCESS)
            hidden = [pm for pm in added if pm.restricted or pm.status != Status.PUBLISHED]
            if hidden:
                self.message_user(
                    request,
                    f"Readers will not see {_names(pm.title for pm in hidden)} on the list until it is published "
                    "and unrestricted.",
                    messages.WARNING,
                )
            return None
        return action_form_page(
            self, request, queryset, form=form, action="add_to_reading_list",
            title="Add to a reading list",
            intro="The selected post-mortems are added at the end of the list you choose, in the order the "
            "incidents happened. Ones already on the list are left where they are.",
            submit_label="Add to the list",
        )


# --- Action items --------------------------------------------------------------------------------

class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("no_date", "No due date, still open")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "no_date":
            return queryset.still_open().filter(due_date__isnull=True)
        return queryset


@admin.register(ActionItem)
class ActionItemAdmin(SafeAutocompleteMixin, HelpTexts, admin.ModelAdmin):
    help_texts = ACTION_ITEM_HELP
    text_rows = {"description": 3, "wont_do_reason": 2}
    list_display = ["title", "postmortem_link", "owner_name", "status", "priority", "kind", "due_date", "overdue"]
    list_filter = [OverdueFilter, "status", "priority", "kind", ("owner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["postmortem", "owner"]
    search_fields = ["title", "description", "postmortem__title", "owner__username", "owner__first_name",
                     "owner__last_name"]
    autocomplete_fields = ["postmortem", "owner"]
    readonly_fields = ["completed_at", "created_at"]
    fields = [
        "postmortem",
        "title",
        "description",
        ("kind", "priority"),
        ("owner", "due_date"),
        ("status", "completed_at"),
        "wont_do_reason",
        "tracker_url",
        "created_at",
    ]
    actions = ["mark_open", "mark_in_progress", "mark_done", "mark_wont_do"]

    @admin.display(description="Post-mortem", ordering="postmortem__title")
    def postmortem_link(self, obj):
        url = reverse("admin:postmortems_postmortem_change", args=[obj.postmortem_id])
        return format_html('<a href="{}">{}</a>', url, obj.postmortem.title)

    @admin.display(description="Owner", ordering="owner__username")
    def owner_name(self, obj):
        return _person(obj.owner) if obj.owner else "—"

    @admin.display(description="Overdue", empty_value="")
    def overdue(self, obj):
        return mark_safe('<span class="hs-restricted">Overdue</span>') if obj.is_overdue() else None

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Action items", **(extra_context or {})})

    # A published post-mortem's action items are part of its text: what they say changes through an
    # amendment. Following them up (owner, due date, status, tracker link) stays open here.
    PUBLISHED_TEXT_FIELDS = ["postmortem", "title", "description", "kind", "priority"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.postmortem.status == Status.PUBLISHED:
            fields += self.PUBLISHED_TEXT_FIELDS
        return fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.postmortem.status == Status.PUBLISHED:
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ActionItemAdminForm(form):
            def clean(self):
                cleaned = super().clean()
                postmortem = cleaned.get("postmortem")
                if self.instance.pk is None and postmortem is not None and postmortem.status == Status.PUBLISHED:
                    raise ValidationError(
                        "“%(title)s” is published: add action items to it through an amendment in the editor.",
                        params={"title": postmortem.title},
                    )
                return cleaned

        return ActionItemAdminForm

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            obj.set_status(obj.status, obj.wont_do_reason)
        super().save_model(request, obj, form, change)
        services.postmortem_record_change(
            postmortem=obj.postmortem,
            user=request.user,
            action="action item edited in admin" if change else "action item added in admin",
            comment=f"“{obj.title}”",
        )

    def delete_model(self, request, obj):
        postmortem, title = obj.postmortem, obj.title
        super().delete_model(request, obj)
        services.postmortem_record_change(
            postmortem=postmortem, user=request.user, action="action item deleted in admin", comment=f"“{title}”"
        )

    def delete_queryset(self, request, queryset):
        kept = queryset.filter(postmortem__status=Status.PUBLISHED)
        if kept.exists():
            self.message_user(
                request, f"{kept.count()} action item(s) of published post-mortems were kept: remove them through "
                "an amendment in the editor.", messages.WARNING,
            )
            queryset = queryset.exclude(pk__in=kept.values("pk"))
        postmortems = list(PostMortem.objects.filter(action_items__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for postmortem in postmortems:
            services.postmortem_record_change(
                postmortem=postmortem, user=request.user, action="action items deleted in admin"
            )

    def _set_status(self, request, queryset, status: str, reason: str = "") -> None:
        changed = 0
        for item in queryset.select_related("postmortem"):
            if item.status == status and (status != ActionStatus.WONT_DO or item.wont_do_reason == reason):
                continue
            services.action_item_set_status(action_item=item, user=request.user, status=status, reason=reason)
            changed += 1
        label = ActionStatus(status).label.lower()
        self.message_user(request, f"{changed} action item(s) marked {label}.", messages.SUCCESS)

    @admin.action(description="Mark open")
    def mark_open(self, request, queryset):
        self._set_status(request, queryset, ActionStatus.OPEN)

    @admin.action(description="Mark in progress")
    def mark_in_progress(self, request, queryset):
        self._set_status(request, queryset, ActionStatus.IN_PROGRESS)

    @admin.action(description="Mark done")
    def mark_done(self, request, queryset):
        self._set_status(request, queryset, ActionStatus.DONE)

    @admin.action(description="Mark won't do, with a reason…")
    def mark_wont_do(self, request, queryset):
        form = action_form(WontDoForm, request)
        if form.is_bound and form.is_valid():
            self._set_status(request, queryset, ActionStatus.WONT_DO, form.cleaned_data["reason"])
            return None
        return action_form_page(
            self, request, queryset, form=form, action="mark_wont_do",
            title="Mark won't do",
            intro="Readers see the reason next to each item, so the decision is part of the record.",
            submit_label="Mark won't do",
        )


# --- Templates -----------------------------------------------------------------------------------

class TemplateSectionInline(HelpTexts, admin.TabularInline):
    model = TemplateSection
    extra = 0
    ordering = ["position", "id"]
    fields = ["position", "heading", "kind", "required", "guidance"]
    help_texts = {
        "heading": "The section's title.",
        "kind": "What the section is for; the coach scopes its rules by it.",
    }
    text_rows = {"guidance": 3}


@admin.register(Template)
class TemplateAdmin(HelpTexts, admin.ModelAdmin):
    list_display = ["name", "description", "section_count", "is_active", "position"]
    list_editable = ["is_active", "position"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TemplateSectionInline]
    actions = ["duplicate"]
    fieldsets = [
        (
            None,
            {
                "fields": ["name", "slug", "description", ("is_active", "position")],
                "description": "Post-mortems keep their own copy of the sections they started with: editing a "
                "template changes only the post-mortems started after the edit.",
            },
        )
    ]

    help_texts = {"slug": "Used in addresses; letters, numbers and hyphens."}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_sections=Count("sections"))

    @admin.display(description="Sections", ordering="n_sections")
    def section_count(self, obj):
        return obj.n_sections

    @admin.action(description="Duplicate template")
    def duplicate(self, request, queryset):
        copies = [template_duplicate(template=t) for t in queryset.prefetch_related(None)]
        self.message_user(
            request,
            f"Created {_names(c.name for c in copies)} (inactive until you make them active).",
            messages.SUCCESS,
        )


# --- Taxonomy ------------------------------------------------------------------------------------

@admin.register(FactorCategory)
class FactorCategoryAdmin(HelpTexts, admin.ModelAdmin):
    list_display = ["name", "description", "factor_count", "position"]
    list_editable = ["position"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    help_texts = {
        "name": "The category as writers see it, e.g. “Change” or “Capacity”.",
        "slug": "Used in addresses and filters.",
    }

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_factors=count_of(ContributingFactor.objects,
                                                                         outer_field="category"))

    @admin.display(description="Factors", ordering="n_factors")
    def factor_count(self, obj):
        return obj.n_factors


@admin.register(Team)
class TeamAdmin(HelpTexts, admin.ModelAdmin):
    list_display = ["name", "slug", "postmortem_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    help_texts = {"name": "The team's name as people know it.", "slug": "Used in addresses and filters."}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_postmortems=count_of(PostMortem.teams.through.objects, outer_field="team")
        )

    @admin.display(description="Post-mortems", ordering="n_postmortems")
    def postmortem_count(self, obj):
        url = reverse("admin:postmortems_postmortem_changelist") + f"?teams__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_postmortems)


# --- Language rules ------------------------------------------------------------------------------

APPLIES_TO = [(k, label) for k, label in SectionKind.choices] + [
    ("timeline", "Timeline"),
    ("factor", "Contributing factors"),
    ("action_item", "Action items"),
]


class LanguageRuleForm(forms.ModelForm):
    section_kinds = forms.MultipleChoiceField(
        choices=APPLIES_TO,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Applies to",
        help_text="The kinds of text the rule checks. None ticked means every kind.",
    )

    class Meta:
        model = LanguageRule
        fields = ["slug", "category", "pattern", "is_regex", "message", "suggestion", "section_kinds", "enabled"]
        help_texts = {
            "slug": "A short, stable name for the rule, e.g. “should-have”. Dismissals refer to it.",
            "category": "The kind of language the rule is about.",
            "enabled": "Disabled rules are kept but not checked.",
        }
        widgets = {
            "pattern": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField hs-mono"}),
            "message": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
            "suggestion": forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pattern"):
            error = pattern_error(cleaned["pattern"], bool(cleaned.get("is_regex")))
            if error:
                self.add_error("pattern", error)
        return cleaned


@admin.register(LanguageRule)
class LanguageRuleAdmin(admin.ModelAdmin):
    form = LanguageRuleForm
    change_form_template = "admin/postmortems/languagerule/change_form.html"
    list_display = ["slug", "category", "pattern", "is_regex", "applies_to", "enabled"]
    list_filter = ["enabled", "category", "is_regex"]
    search_fields = ["slug", "pattern", "message", "suggestion"]
    actions = ["enable", "disable"]
    fields = ["slug", "category", "pattern", "is_regex", "message", "suggestion", "section_kinds", "enabled"]

    @admin.display(description="Applies to")
    def applies_to(self, obj):
        return ", ".join(obj.section_kinds) if obj.section_kinds else "everything"

    @admin.action(description="Enable")
    def enable(self, request, queryset):
        n = queryset.update(enabled=True)
        self.message_user(request, f"{n} rule(s) enabled.", messages.SUCCESS)

    @admin.action(description="Disable")
    def disable(self, request, queryset):
        n = queryset.update(enabled=False)
        self.message_user(request, f"{n} rule(s) disabled.", messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        sample = request.GET.get("try", "")
        rule = self.get_object(request, object_id)
        if rule is not None and sample:
            try:
                spans = rule_matches(rule, sample)
            except ValueError as exc:
                extra_context["try_error"] = str(exc)
            else:
                extra_context["try_spans"] = [(s, e, sample[s:e]) for s, e in spans]
                extra_context["try_html"] = highlight(sample, spans)
        extra_context["try_text"] = sample
        return super().change_view(request, object_id, form_url, extra_context)


# --- What the coach and the history recorded (read-only) -----------------------------------------

class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(BoundedDateHierarchy, ReadOnlyAdmin):
    list_display = ["postmortem", "version", "action", "editor", "created_at", "comment"]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["postmortem", "user"]
    search_fields = ["postmortem__title", "action", "comment"]
    date_hierarchy = "created_at"
    exclude = ["snapshot"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="By", ordering="user__username")
    def editor(self, obj):
        return obj.editor_name


@admin.register(LanguageFinding)
class LanguageFindingAdmin(ReadOnlyAdmin):
    list_display = ["text", "rule_slug", "category", "postmortem", "location", "created_at"]
    list_filter = ["category"]
    list_select_related = ["postmortem"]
    search_fields = ["text", "rule_slug", "postmortem__title"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FindingDismissal)
class FindingDismissalAdmin(ReadOnlyAdmin):
    list_display = ["text", "rule_slug", "postmortem", "reason", "dismissed_by", "created_at"]
    list_select_related = ["postmortem", "user"]
    search_fields = ["text", "rule_slug", "reason", "postmortem__title"]

    @admin.display(description="By", ordering="user__username")
    def dismissed_by(self, obj):
        return _person(obj.user) if obj.user else "—"


# --- Users and role groups: Django's, with the roles explained ----------------------------------

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class HindsightUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "roles", "is_staff", "is_active"]
    list_filter = ["groups", "is_staff", "is_superuser", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Role groups")
    def roles(self, obj):
        return _names(g.name for g in obj.groups.all())

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "groups" in form.base_fields:
            form.base_fields["groups"].help_text = ROLES_IN_ONE_LINE
        if "is_staff" in form.base_fields:
            form.base_fields["is_staff"].help_text = (
                "Facilitators need this to enter the facilitator's desk. For Readers and Authors it grants nothing: "
                "the desk is for facilitators only."
            )
        return form


@admin.register(Group)
class HindsightGroupAdmin(GroupAdmin):
    list_display = ["name", "what_the_role_may_do", "member_count"]
    readonly_fields = ["what_the_role_may_do"]
    fields = ["name", "what_the_role_may_do", "permissions"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("user", distinct=True))

    @admin.display(description="What the role may do")
    def what_the_role_may_do(self, obj):
        return ROLE_HELP.get(obj.name, "Not one of Hindsight's role groups: its permissions are all it grants.")

    @admin.display(description="Members", ordering="n_members")
    def member_count(self, obj):
        url = reverse("admin:auth_user_changelist") + f"?groups__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_members)
