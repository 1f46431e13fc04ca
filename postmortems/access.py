"""One access helper per object kind: every view reaches post-mortems and action items through these."""

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import get_object_or_404

from postmortems.models import ActionItem, PostMortem, Upload
from postmortems.roles import is_author, is_facilitator
from postmortems.uploads import is_stored_name


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


def get_upload_for(request, name: str) -> str:
    """Return the stored image `name` if the user may see the post-mortem it belongs to (else 404).

    Facilitators see every image, including files stored before uploads were recorded that no
    post-mortem's text showed (the migration that added Upload recorded those it found); nobody else
    sees an image without a record. Anything that is not a stored image name is a 404 too.
    """
    if not is_stored_name(name):
        raise Http404("No such image.")
    if not (is_facilitator(request.user) or Upload.objects.visible_to(request.user).filter(path=name).exists()):
        raise Http404("No such image.")
    if not default_storage.exists(name):
        raise Http404("No such image.")
    return name


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



def get_notification_for(request, pk: int):
    """Return notification `pk` if it is the user's own and about something they may still see (else 404)."""
    from postmortems.models import Notification

    return get_object_or_404(Notification.objects.for_inbox(request.user), pk=pk)


def get_comment_for(request, pk: int):
    """Return comment `pk` if the user may see its post-mortem and read it (else 404)."""
    from postmortems.models import Comment

    comment = get_object_or_404(
        Comment.objects.select_related("postmortem", "parent").filter(
            postmortem__in=PostMortem.objects.visible_to(request.user)), pk=pk)
    if not Comment.objects.visible_to(request.user, comment.postmortem).filter(pk=pk).exists():
        raise Http404("No such comment.")
    return comment
