"""Follow and unfollow buttons for post-mortems, tags and teams."""

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST
from taggit.models import Tag

from postmortems import follows
from postmortems.access import get_postmortem_for
from postmortems.models import PostMortem, Team


def _done(request, following: bool, name: str, fallback: str):
    messages.success(request, f"You follow {name} now: you will hear when something is published there."
                     if following else f"You no longer follow {name}.")
    return HttpResponseRedirect(fallback)


def _following(request) -> bool:
    return request.POST.get("follow", "1") != "0"


@require_POST
def follow_postmortem(request, slug):
    postmortem = get_postmortem_for(request, slug)
    following = _following(request)
    follows.follow_set(user=request.user, following=following, postmortem=postmortem)
    return _done(request, following, f"“{postmortem.title}”", postmortem.get_absolute_url())


@require_POST
def follow_tag(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    if not PostMortem.objects.visible_to(request.user).filter(tags=tag).exists():
        raise Http404("No visible post-mortem carries this tag.")
    following = _following(request)
    follows.follow_set(user=request.user, following=following, tag=tag)
    return _done(request, following, f"the tag “{tag.name}”", _tag_url(tag))


@require_POST
def follow_team(request, slug):
    team = get_object_or_404(Team, slug=slug)
    following = _following(request)
    follows.follow_set(user=request.user, following=following, team=team)
    return _done(request, following, f"the team {team.name}", _back(request))


def _tag_url(tag) -> str:
    from django.urls import reverse

    return reverse("tag_detail", args=[tag.slug])


def _back(request) -> str:
    """Return the page to go back to: a path on this site from the form, else the home page."""
    from django.utils.http import url_has_allowed_host_and_scheme

    back = request.POST.get("back", "")
    if (back.startswith("/") and "\x00" not in back and len(back) <= 2000
            and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})):
        return back
    return "/"


@require_GET
def people_suggest(request):
    """@mention autocomplete: JSON of up to 8 people whose username or name starts with `q` and who may see the
    post-mortem `postmortem` (its drafts: its authors and facilitators only)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from django.http import JsonResponse

    from postmortems import notifications

    q = request.GET.get("q", "").replace("\x00", "").strip().lstrip("@")[:30]
    if not q:
        return JsonResponse({"people": []})
    people = get_user_model().objects.filter(is_active=True).filter(
        Q(username__istartswith=q) | Q(first_name__istartswith=q) | Q(last_name__istartswith=q))
    slug = request.GET.get("postmortem", "")
    if slug:
        postmortem = PostMortem.objects.visible_to(request.user).filter(slug=slug[:220]).first()
        if postmortem is None:
            raise Http404("No such post-mortem.")
        if not postmortem.is_open_to_readers():
            people = people.filter(pk__in=notifications.work_in_progress_ids(postmortem, people.values_list(
                "pk", flat=True)[:200]))
    rows = people.order_by("username")[:8]
    return JsonResponse({"people": [{"username": u.username, "name": u.get_full_name()} for u in rows]})
