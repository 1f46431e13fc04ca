from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from knowledge import services
from knowledge.feeds import PublishedFeed
from knowledge.forms import RelatedLinkForm
from knowledge.models import ReadingList
from knowledge.similar import similar_incidents
from postmortems.access import get_postmortem_for
from postmortems.models import PostMortem, Profile


@require_GET
def search(request):
    ctx = services.search_library(user=request.user, params=request.GET)
    return render(request, "knowledge/search.html", ctx)


@require_GET
def tag_list(request):
    return render(request, "knowledge/tags.html", {"tags": services.tags_with_counts(user=request.user)})


@require_GET
def tag_detail(request, slug):
    tag = services.tag_for(user=request.user, slug=slug)
    if tag is None:
        raise Http404("No visible post-mortem carries this tag.")
    if tag.slug != slug:
        return redirect("tag_detail", slug=tag.slug)
    postmortems = PostMortem.objects.visible_to(request.user).filter(tags=tag).with_list_data()
    page = Paginator(postmortems.order_by("-started_at", "-created_at", "-pk"), 20).get_page(request.GET.get("page"))
    return render(request, "knowledge/tag_detail.html", {"tag": tag, "page": page})


@require_GET
def tag_autocomplete(request):
    names = services.tag_suggestions(user=request.user, prefix=request.GET.get("q", ""))
    return JsonResponse({"tags": names})


@require_GET
def reading_list_index(request):
    return render(request, "knowledge/reading_lists.html",
                  {"reading_lists": services.reading_lists_for(user=request.user)})


@require_GET
def reading_list_detail(request, slug):
    reading_list = get_object_or_404(ReadingList, slug=slug)
    items = services.reading_list_items(user=request.user, reading_list=reading_list)
    if not items:
        raise Http404("Nothing on this list is visible to you.")
    read = sum(1 for item in items if item.is_read)
    ctx = {"reading_list": reading_list, "items": items, "read_count": read, "item_count": len(items),
           "percent": round(100 * read / len(items))}
    return render(request, "knowledge/reading_list_detail.html", ctx)


@require_POST
def reading_list_mark(request, slug, item_id):
    reading_list = get_object_or_404(ReadingList, slug=slug)
    visible = PostMortem.objects.visible_to(request.user).values("pk")
    item = get_object_or_404(reading_list.items.filter(postmortem__in=visible), pk=item_id)
    services.reading_list_item_mark(user=request.user, item=item, read=request.POST.get("read") == "1")
    return redirect(f"{reading_list.get_absolute_url()}#item-{item.pk}")


@login_not_required
@require_GET
def published_feed(request):
    return PublishedFeed()(request)


@require_POST
def feed_token_rotate(request):
    Profile.for_user(request.user).rotate_feed_token()
    messages.success(request, "Your feed address has changed; the old one no longer works.")
    return redirect("profile")


@require_POST
def link_add(request, slug):
    postmortem = get_postmortem_for(request, slug, write=True)
    form = RelatedLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"The link was not added. {form.error_text()}")
        return redirect(reverse("postmortem_edit", args=[postmortem.slug]) + "#related-links")
    try:
        link = services.related_link_add(user=request.user, source=postmortem,
                                         target_slug=form.cleaned_data["target"], note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Linked to “{link.target.title}”.")
    return redirect(reverse("postmortem_edit", args=[postmortem.slug]) + "#related-links")


@require_POST
def link_delete(request, slug, link_id):
    postmortem = get_postmortem_for(request, slug, write=True)
    try:
        services.related_link_delete(user=request.user, postmortem=postmortem, link_id=link_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Link removed.")
    return redirect(reverse("postmortem_edit", args=[postmortem.slug]) + "#related-links")


@require_GET
def similar(request):
    exclude = request.GET.get("exclude", "")
    postmortem = PostMortem.objects.visible_to(request.user).filter(slug=exclude).first() if exclude else None
    title, summary = request.GET.get("title", "")[:300], request.GET.get("summary", "")[:2000]
    incidents = similar_incidents(user=request.user, postmortem=postmortem, title=title, summary=summary)
    return render(request, "knowledge/includes/_similar_list.html",
                  {"similar": incidents, "asked": bool(title.strip() or summary.strip())})
