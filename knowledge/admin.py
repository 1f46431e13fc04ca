"""The facilitator's desk for the library: tags (rename, merge, clean up), reading lists, related links, synonyms."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from taggit.models import Tag

from knowledge.admin_actions import (
    MergeTagsForm,
    postmortem_ids_tagged,
    record_tag_change,
    tags_delete_unused,
    tags_merge,
)
from knowledge.models import ReadingList, ReadingListItem, RelatedLink, Synonym
from postmortems.admin import HelpTexts
from postmortems.admin_actions import action_form, action_form_page, count_of
from postmortems.admin_widgets import SafeAutocompleteMixin

# --- Tags: our own admin in place of taggit's ----------------------------------------------------

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
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            record_tag_change(
                postmortem_ids=postmortem_ids_tagged([obj.pk]),
                user=request.user,
                action="tag renamed",
                comment=f"“{form.initial.get('name')}” renamed to “{obj.name}”.",
            )

    def delete_model(self, request, obj):
        self.delete_queryset(request, Tag.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        tags = list(queryset)
        affected = postmortem_ids_tagged(t.pk for t in tags)
        Tag.objects.filter(pk__in=[t.pk for t in tags]).delete()
        names = ", ".join(f"“{t.name}”" for t in tags)
        record_tag_change(postmortem_ids=affected, user=request.user, action="tags deleted in admin",
                          comment=f"{names} deleted.")

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
            moved = tags_merge(tags=list(tags), target=target, user=request.user)
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
        deleted, kept = tags_delete_unused(tags=list(queryset))
        self.message_user(request, f"Deleted {len(deleted)} unused tag(s).", messages.SUCCESS)
        if kept:
            self.message_user(request, f"Kept {len(kept)} in use: {', '.join(kept)}.", messages.INFO)


# --- Reading lists ---------------------------------------------------------------------------------

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
