"""Tag hygiene for the facilitator's desk: merging, renaming and deleting tags.

A tag change alters what post-mortems carry, so each affected post-mortem gets a Revision
(and a fresh search index entry) through postmortems.services.
"""

from collections.abc import Iterable

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from taggit.models import Tag, TaggedItem

from postmortems.models import PostMortem
from postmortems.services import postmortem_record_change


def postmortem_ids_tagged(tag_ids: Iterable[int]) -> list[int]:
    """Return the ids of the post-mortems that carry any of `tag_ids`."""
    content_type = ContentType.objects.get_for_model(PostMortem)
    return list(
        TaggedItem.objects.filter(tag_id__in=list(tag_ids), content_type=content_type)
        .values_list("object_id", flat=True)
        .distinct()
    )


def record_tag_change(*, postmortem_ids: Iterable[int], user, action: str, comment: str) -> None:
    """Record a Revision on each of `postmortem_ids` (a short `action`; names and details in `comment`)."""
    for postmortem in PostMortem.objects.filter(pk__in=list(postmortem_ids)):
        postmortem_record_change(postmortem=postmortem, user=user, action=action, comment=comment)


@transaction.atomic
def tags_merge(*, tags: Iterable[Tag], target: Tag, user) -> int:
    """Move every item tagged with one of `tags` onto `target`, then delete `tags`.

    An item that already carries `target` just loses the merged tag, so no item is tagged
    twice and none loses its tagging. Return the number of tagged items that moved.
    """
    source_ids = [t.pk for t in tags if t.pk != target.pk]
    if not source_ids:
        return 0
    affected = postmortem_ids_tagged(source_ids)
    carries_target = set(TaggedItem.objects.filter(tag=target).values_list("content_type_id", "object_id"))
    move, drop = [], []
    for pk, content_type_id, object_id in TaggedItem.objects.filter(tag_id__in=source_ids).values_list(
        "pk", "content_type_id", "object_id"
    ):
        key = (content_type_id, object_id)
        (drop if key in carries_target else move).append(pk)
        carries_target.add(key)
    TaggedItem.objects.filter(pk__in=drop).delete()
    TaggedItem.objects.filter(pk__in=move).update(tag=target)
    merged = Tag.objects.filter(pk__in=source_ids).values_list("name", flat=True)
    names = ", ".join(f"“{name}”" for name in sorted(merged, key=str.casefold))
    Tag.objects.filter(pk__in=source_ids).delete()
    record_tag_change(
        postmortem_ids=affected, user=user, action="tags merged", comment=f"{names} merged into “{target.name}”."
    )
    return len(move)


@transaction.atomic
def tags_delete_unused(*, tags) -> tuple[list[str], list[str]]:
    """Delete those of `tags` that tag nothing; return (deleted names, names kept because in use)."""
    used = set(TaggedItem.objects.filter(tag__in=tags).values_list("tag_id", flat=True))
    deleted = [t for t in tags if t.pk not in used]
    kept = [t.name for t in tags if t.pk in used]
    Tag.objects.filter(pk__in=[t.pk for t in deleted]).delete()
    return [t.name for t in deleted], kept


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
