"""The facilitator's desk for the library: tags (rename, merge, clean up), reading lists (and the post-mortem
list's "add to a reading list" action), related links, synonyms. Every write goes through knowledge.services."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from taggit.models import Tag

from knowledge import services
from knowledge.models import ReadingList, ReadingListItem, RelatedLink, Synonym
from postmortems.admin.common import HelpTexts, SafeAutocompleteMixin, action_form, action_form_page, count_of, names
from postmortems.admin.postmortems import PostMortemAdmin
from postmortems.models import Status

# --- Tags: our own admin in place of taggit's ----------------------------------------------------

class MergeTagsForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Tag.objects.none(),
        widget=forms.RadioSelect,
        label="Merge into",
        help_text="Every post-mortem tagged with any of the selected tags ends up tagged with this one; "
        "the others disappear. Rename it afterwards if none of the names is right.",
    )

    def __init__(self, *args, tags=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = tags if tags is not None else Tag.objects.none()


if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)


class UsageFilter(admin.SimpleListFilter):
    title = "usage"
    parameter_name = "usage"

    def lookups(self, request, model_admin):
        return [("unused", "Unused"), ("used", "In use")]

    def queryset(self, request, queryset):
        if self.value() == "unused":
            return queryset.filter(n_uses=0)
        if self.value() == "used":
            return queryset.filter(n_uses__gt=0)
        return queryset


class TagAdminForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "slug"]
        help_texts = {
            "name": "Renaming changes the tag on every post-mortem that carries it. To fold this tag into "
            "another one, use the “Merge” action on the list instead.",
            "slug": "The tag's address, as in /tags/this-slug/.",
        }

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Tag.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if clash:
            raise forms.ValidationError(
                f"There is already a tag “{clash.name}”. To make these one tag, select both on the list and merge them."
            )
        return name


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagAdminForm
    list_display = ["name", "slug", "usage"]
    list_filter = [UsageFilter]
    search_fields = ["name"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["merge", "delete_unused"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_uses=Count("taggit_taggeditem_items"))

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Tags", **(extra_context or {})})

    @admin.display(description="Used on", ordering="n_uses")
    def usage(self, obj):
        if not obj.n_uses:
            return "unused"
        url = reverse("admin:postmortems_postmortem_changelist") + f"?tags__id__exact={obj.pk}"
        return format_html('<a href="{}">{} post-mortem{}</a>', url, obj.n_uses, "" if obj.n_uses == 1 else "s")

    def save_model(self, request, obj, form, change):
        renamed = change and "name" in form.changed_data
        services.tag_save(tag=obj, user=request.user, renamed_from=form.initial.get("name") if renamed else None)

    def delete_model(self, request, obj):
        services.tags_delete(tags=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        services.tags_delete(tags=queryset, user=request.user)

    @admin.action(description="Merge selected tags into one…", permissions=["change"])
    def merge(self, request, queryset):
        tags = Tag.objects.filter(pk__in=queryset.values("pk")).annotate(n_uses=Count("taggit_taggeditem_items"))
        if tags.count() < 2:
            self.message_user(request, "Select at least two tags to merge.", messages.WARNING)
            return None
        form = action_form(MergeTagsForm, request, tags=tags.order_by("-n_uses", "name"))
        if form.is_bound and form.is_valid():
            target = form.cleaned_data["target"]
            merged = [t.name for t in tags if t.pk != target.pk]
            moved = services.tags_merge(tags=list(tags), target=target, user=request.user)
            self.message_user(
                request,
                f"Merged {', '.join(merged)} into “{target.name}”: {moved} tagging(s) moved, duplicates dropped.",
                messages.SUCCESS,
            )
            return None
        form.fields["target"].label_from_instance = lambda t: f"{t.name} (used on {t.n_uses})"
        return action_form_page(
            self, request, tags, form=form, action="merge",
            title="Merge tags",
            intro="Choose the tag to keep. Each post-mortem keeps all it was tagged with, under the kept name; "
            "each change is recorded in the post-mortem's history.",
            submit_label="Merge",
        )

    @admin.action(description="Delete selected tags that tag nothing", permissions=["delete"])
    def delete_unused(self, request, queryset):
        deleted, kept = services.tags_delete_unused(tags=list(queryset))
        self.message_user(request, f"Deleted {len(deleted)} unused tag(s).", messages.SUCCESS)
        if kept:
            self.message_user(request, f"Kept {len(kept)} in use: {', '.join(kept)}.", messages.INFO)


# --- Reading lists ---------------------------------------------------------------------------------

class AddToReadingListForm(forms.Form):
    reading_list = forms.ModelChoiceField(
        queryset=ReadingList.objects.all(), help_text="The selected post-mortems are added at the end of this list."
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Why these write-ups are on the list; what to look for. Shown with each item.",
    )


@admin.action(description="Add to a reading list…", permissions=["publish"])
def add_to_reading_list(modeladmin, request, queryset):
    """The post-mortem list's action: add the selected post-mortems at the end of a reading list."""
    form = action_form(AddToReadingListForm, request)
    if form.is_bound and form.is_valid():
        reading_list = form.cleaned_data["reading_list"]
        added = services.reading_list_append(
            reading_list=reading_list, postmortems=queryset, note=form.cleaned_data["note"]
        )
        skipped = len(queryset) - len(added)
        text = f"Added {len(added)} to “{reading_list}”."
        if skipped:
            text += f" {skipped} already on it."
        modeladmin.message_user(request, text, messages.SUCCESS)
        hidden = [pm for pm in added if pm.restricted or pm.status != Status.PUBLISHED]
        if hidden:
            modeladmin.message_user(
                request,
                f"Readers will not see {names(pm.title for pm in hidden)} on the list until it is published "
                "and unrestricted.",
                messages.WARNING,
            )
        return None
    return action_form_page(
        modeladmin, request, queryset, form=form, action="add_to_reading_list",
        title="Add to a reading list",
        intro="The selected post-mortems are added at the end of the list you choose, in the order the "
        "incidents happened. Ones already on the list are left where they are.",
        submit_label="Add to the list",
    )


PostMortemAdmin.actions = [*PostMortemAdmin.actions, add_to_reading_list]


class ReadingListItemInline(SafeAutocompleteMixin, HelpTexts, admin.TabularInline):
    model = ReadingListItem
    extra = 0
    ordering = ["position", "id"]
    fields = ["position", "postmortem", "note"]
    autocomplete_fields = ["postmortem"]
    help_texts = {"postmortem": "Start typing a title. Readers only see published, unrestricted ones."}
    text_rows = {"note": 3}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "postmortem":  # pick one; adding or editing a post-mortem from here would be a detour
            field.widget = field.widget.widget
        return field

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("postmortem")


@admin.register(ReadingList)
class ReadingListAdmin(HelpTexts, admin.ModelAdmin):
    list_display = ["title", "item_count", "for_new_hires", "position"]
    list_editable = ["position"]
    list_filter = ["for_new_hires"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ReadingListItemInline]
    readonly_fields = ["created_by", "created_at"]
    fields = ["title", "slug", "description", ("for_new_hires", "position"), ("created_by", "created_at")]
    help_texts = {
        "title": "What the list is, e.g. “Your first month: five incidents every engineer should know”.",
        "slug": "The list's address, as in /reading-lists/this-slug/.",
    }
    text_rows = {"description": 3}

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .select_related("created_by")
            .annotate(n_items=count_of(ReadingListItem.objects, outer_field="reading_list"))
        )

    @admin.display(description="Items", ordering="n_items")
    def item_count(self, obj):
        return obj.n_items

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RelatedLink)
class RelatedLinkAdmin(SafeAutocompleteMixin, HelpTexts, admin.ModelAdmin):
    list_display = ["source", "target", "note", "created_by", "created_at"]
    list_select_related = ["source", "target", "created_by"]
    search_fields = ["source__title", "target__title", "note"]
    autocomplete_fields = ["source", "target"]
    readonly_fields = ["created_by", "created_at"]
    fields = ["source", "target", "note", ("created_by", "created_at")]
    help_texts = {
        "source": "The post-mortem the link starts from. The link is shown on both.",
        "target": "The related post-mortem.",
    }

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- Synonyms: what the search treats as the same word --------------------------------------------


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    """Searches apply the synonyms as they run: a change here applies to the next search, no re-indexing."""

    list_display = ["terms", "note"]
    search_fields = ["terms", "note"]
    fields = ["terms", "note"]
