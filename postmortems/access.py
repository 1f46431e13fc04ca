"""One access helper per object kind: every view reaches post-mortems and action items through these."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from postmortems.models import ActionItem, PostMortem
from postmortems.roles import is_author, is_facilitator


def can_edit(user, postmortem: PostMortem) -> bool:
    """Return whether `user` may change `postmortem` (its authors and facilitators)."""
    if is_facilitator(user):
        return True
    return is_author(user) and postmortem.is_authored_by(user)


def get_postmortem_for(request, slug: str, *, write: bool = False) -> PostMortem:
    """Return the post-mortem `slug` if the user may see it (else 404) and, with `write`, edit it (else 403)."""
    postmortem = get_object_or_404(PostMortem.objects.visible_to(request.user), slug=slug)
    if write and not can_edit(request.user, postmortem):
        raise PermissionDenied("You may read this post-mortem but not change it.")
    return postmortem


def get_action_item_for(request, pk: int, *, write: bool = False) -> ActionItem:
    """Return action item `pk` if its post-mortem is visible (else 404); with `write`, if the user may
    change it (its owner, the post-mortem's authors, facilitators; else 403)."""
    item = get_object_or_404(ActionItem.objects.visible_to(request.user).select_related("postmortem"), pk=pk)
    if write and not (item.owner_id == request.user.pk or can_edit(request.user, item.postmortem)):
        raise PermissionDenied("Only the owner, the authors and facilitators change this action item.")
    return item


def editable_action_item_ids(user, items) -> set[int]:
    """Return the ids among `items` whose status `user` may change, in one query at most."""
    items = list(items)
    if is_facilitator(user):
        return {item.pk for item in items}
    authored = set()
    if is_author(user):
        authored = set(
            PostMortem.authors.through.objects.filter(
                user_id=user.pk, postmortem_id__in={item.postmortem_id for item in items}
            ).values_list("postmortem_id", flat=True)
        )
    return {item.pk for item in items if item.owner_id == user.pk or item.postmortem_id in authored}

