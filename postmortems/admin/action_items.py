"""Action items: following them up across post-mortems (owner, due date, status), and the inline rows."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from postmortems import services
from postmortems.admin.common import HelpTexts, SafeAutocompleteMixin, action_form, action_form_page, person
from postmortems.models import ActionItem, ActionStatus, Status, check_wont_do_reason


class WontDoForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Why these action items will not be done. Kept on each item and shown to readers.",
    )

    def clean(self):
        cleaned = super().clean()
        try:
            check_wont_do_reason(ActionStatus.WONT_DO, cleaned.get("reason"), field="reason")
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


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
        return person(obj.owner) if obj.owner else "—"

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
        services.action_item_save(action_item=obj, user=request.user, status_changed="status" in form.changed_data)

    def delete_model(self, request, obj):
        services.action_item_delete(action_item=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        kept = queryset.filter(postmortem__status=Status.PUBLISHED)
        if kept.exists():
            self.message_user(
                request, f"{kept.count()} action item(s) of published post-mortems were kept: remove them through "
                "an amendment in the editor.", messages.WARNING,
            )
            queryset = queryset.exclude(pk__in=kept.values("pk"))
        services.action_items_delete(action_items=queryset, user=request.user)

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


