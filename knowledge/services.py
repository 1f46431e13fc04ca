"""The library's read paths and workflows: search pages, tags, related incidents, reading lists.

Every function takes the user and applies PostMortem.objects.visible_to semantics, so nothing a
user may not read reaches a page, a count, a facet or a feed.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from math import ceil
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from taggit.models import Tag, TaggedItem

from knowledge import search
from knowledge.models import ReadingList, ReadingListItem, ReadMark, RelatedLink
from knowledge.similar import similar_incidents
from postmortems import notifications
from postmortems.access import can_edit
from postmortems.models import FactorCategory, PostMortem, Severity, Status, Team
from postmortems.params import whole_number
from postmortems.roles import is_author, is_facilitator
from postmortems.services import postmortem_record_change
from postmortems.shared_cache import cached

SORTS = {"relevance": "Relevance", "newest": "Newest", "severity": "Severity"}
PER_PAGE = 20
MAX_PAGE = 500
TAG_FACET_SIZE = 15


# -- search -------------------------------------------------------------------------------------


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)


def can_see_drafts(user) -> bool:
    return is_facilitator(user) or is_author(user)


def _ints(values) -> list[int]:
    return [n for n in (whole_number(v, largest=9999) for v in values) if n is not None][:10]


def _toggle_url(params: dict[str, list[str]], name: str, value: str) -> str:
    chosen = dict(params)
    current = list(chosen.get(name, []))
    chosen[name] = [v for v in current if v != value] if value in current else [*current, value]
    return "?" + urlencode([(k, v) for k, vs in chosen.items() for v in vs if k != "page"])


def search_library(*, user, params) -> dict:
    """Return the context of the search page for the query parameters `params` (a QueryDict)."""
    typed = params.get("q", "").strip()[:300]
    # Operators or punctuation alone ("(", "*", "OR") ask for nothing: the page is the empty query's.
    text = typed if not search.parse(typed).is_empty else ""
    wanted = {name: [v for v in params.getlist(name) if v][:10]
              for name in ("tag", "team", "severity", "year", "factor", "status")}
    tags = {t.slug: t for t in Tag.objects.filter(slug__in=[s.lower() for s in wanted["tag"]])} if wanted["tag"] else {}
    teams = {t.slug: t for t in Team.objects.filter(slug__in=wanted["team"])} if wanted["team"] else {}
    drafts = can_see_drafts(user)
    filters = search.Filters(
        # An unknown tag, team or category matches nothing rather than being ignored.
        tag_ids=[tags[s.lower()].pk if s.lower() in tags else 0 for s in wanted["tag"]],
        team_ids=[teams[s].pk if s in teams else 0 for s in wanted["team"]],
        category_ids=[_category_ids().get(s, 0) for s in wanted["factor"]],
        severities=[s for s in wanted["severity"] if s in Severity.values],
        years=_ints(wanted["year"]),
        statuses=[s for s in wanted["status"] if s in Status.values] if drafts else [],
    )
    sort = params.get("sort", "")
    if sort not in SORTS:
        sort = "relevance" if text else "newest"
    try:
        page_number = min(max(int(params.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        page_number = 1
    exact = params.get("exact") == "1"

    def run_search():
        return search.search(user=user, text=text, filters=filters, sort=sort,
                             offset=(page_number - 1) * PER_PAGE, limit=PER_PAGE, correct=not exact)

    if text or any(wanted.values()):
        outcome = run_search()
    else:  # browsing everything: the same page and facet counts for every reader until the next change
        outcome = cached("search-browse", user=user, parts=(sort, page_number), compute=run_search)
    found = PostMortem.objects.visible_to(user).filter(pk__in=outcome.ids).with_list_data().in_bulk()
    hits = []
    for pk in outcome.ids:
        if pk in found:
            title, snippet = outcome.highlights.get(pk, (None, None))
            hits.append({"pm": found[pk], "title": title, "snippet": snippet})
    kept = {k: v for k, v in wanted.items() if v}
    if text:
        kept["q"] = [text]
    if params.get("sort") in SORTS:
        kept["sort"] = [sort]
    if exact:
        kept["exact"] = ["1"]
    return {
        "q": text,
        "typed": typed,
        "hits": hits,
        "total": outcome.total,
        "corrected": outcome.corrected,
        "original_url": _with(kept, exact=["1"]) if outcome.corrected else "",
        "partial": outcome.partial,
        "matched_words": outcome.matched_words,
        "query_words": outcome.query_words,
        "facets": _facets(outcome.facets, kept, drafts),
        "facets_estimated": outcome.facets_estimated,
        "selected": _selected(kept, tags, teams),
        "sort": sort,
        "sorts": [(key, label, _with(kept, sort=[key])) for key, label in SORTS.items()],
        "page_number": page_number,
        "num_pages": max(1, min(MAX_PAGE, ceil(outcome.total / PER_PAGE))),
        "previous_url": _with(kept, page=[str(page_number - 1)]) if page_number > 1 else "",
        "next_url": _with(kept, page=[str(page_number + 1)])
        if page_number * PER_PAGE < outcome.total and page_number < MAX_PAGE else "",
        "first_index": (page_number - 1) * PER_PAGE + 1,
    }


def _with(params: dict[str, list[str]], **changes) -> str:
    merged = {**{k: v for k, v in params.items() if k != "page"}, **changes}
    return "?" + urlencode([(k, v) for k, vs in merged.items() for v in vs])


def _category_ids() -> dict[str, int]:
    return dict(FactorCategory.objects.values_list("slug", "pk"))


def _selected(kept, tags, teams) -> list[dict]:
    labels = {"tag": lambda v: tags[v.lower()].name if v.lower() in tags else v,
              "team": lambda v: teams[v].name if v in teams else v}
    chips = []
    for name in ("tag", "team", "severity", "year", "factor", "status"):
        for value in kept.get(name, []):
            label = labels.get(name, lambda v: v)(value)
            chips.append({"name": name, "value": value, "label": label, "url": _toggle_url(kept, name, value)})
    return chips


def _facets(counts: dict[str, dict[str, int]], kept: dict[str, list[str]], drafts: bool) -> list[Facet]:
    """Return the facets to show, labelled, with links that add or remove each value."""

    def build(name, label, rows):
        facet = Facet(name, label)
        for value, value_label, count in rows:
            selected = value in kept.get(name, [])
            facet.values.append(FacetValue(value, value_label, count, selected, _toggle_url(kept, name, value)))
        return facet

    tag_counts = sorted(counts.get("tag", {}).items(), key=lambda kv: (-kv[1], kv[0]))[:TAG_FACET_SIZE]
    tag_names = {str(pk): (slug, name) for pk, slug, name in
                 Tag.objects.filter(pk__in=[int(pk) for pk, _ in tag_counts]).values_list("pk", "slug", "name")}
    teams = {str(pk): (slug, name) for pk, slug, name in Team.objects.values_list("pk", "slug", "name")}
    categories = {str(pk): (slug, name) for pk, slug, name in FactorCategory.objects.values_list("pk", "slug", "name")}

    def named(name, lookup):
        rows = [(lookup[pk][0], lookup[pk][1], n) for pk, n in counts.get(name, {}).items() if pk in lookup]
        return sorted(rows, key=lambda row: (-row[2], row[1].lower()))

    facets = [
        build("tag", "Tags", [(tag_names[pk][0], tag_names[pk][1], n) for pk, n in tag_counts if pk in tag_names]),
        build("team", "Teams", named("team", teams)),
        build("severity", "Severity", [(v, label, counts.get("severity", {}).get(v, 0))
                                       for v, label in Severity.choices if counts.get("severity", {}).get(v)]),
        build("year", "Year", sorted(((y, y, n) for y, n in counts.get("year", {}).items()), reverse=True)),
        build("factor", "Contributing factors", named("factor", categories)),
    ]
    if drafts:
        facets.append(build("status", "Status", [(v, label, counts.get("status", {}).get(v, 0))
                                                  for v, label in Status.choices if counts.get("status", {}).get(v)]))
    return [f for f in facets if f.values]


# -- tags ---------------------------------------------------------------------------------------


def _postmortem_type() -> ContentType:
    return ContentType.objects.get_for_model(PostMortem)


def tags_with_counts(*, user) -> list[dict]:
    """Return every tag carried by a post-mortem `user` may see, with how many carry it."""
    visible = PostMortem.objects.visible_to(user).values("pk")
    return cached("tag-counts", user=user, compute=lambda: list(
        TaggedItem.objects.filter(content_type=_postmortem_type(), object_id__in=visible)
        .values("tag__name", "tag__slug")
        .annotate(count=Count("object_id", distinct=True))
        .order_by("tag__name")
    ))


def tag_for(*, user, slug: str) -> Tag | None:
    """Return the tag `slug` (any case) if a post-mortem `user` may see carries it."""
    tag = Tag.objects.filter(slug__iexact=slug).first()
    if tag is None:
        return None
    carried = PostMortem.objects.visible_to(user).filter(tags=tag).exists()
    return tag if carried else None


def tag_suggestions(*, user, prefix: str, limit: int = 10) -> list[str]:
    """Return names of tags on visible post-mortems for what is typed so far, best first.

    First names that start with `prefix`, then names with a word that starts with it
    (“exp” finds certificate-expiry), then names that start with a synonym of it (k8s finds
    kubernetes), then names that contain it.
    """
    prefix = prefix.strip()[:50]
    if not prefix:
        return []
    visible = PostMortem.objects.visible_to(user).values("pk")
    used = Tag.objects.filter(taggit_taggeditem_items__content_type=_postmortem_type(),
                              taggit_taggeditem_items__object_id__in=visible).distinct()
    synonyms = Q()
    for members in search.synonym_sets():
        if tuple(prefix.lower().split()) in members:
            for member in members:
                synonyms |= Q(name__istartswith=" ".join(member)) | Q(name__istartswith="-".join(member))
    tiers = [Q(name__istartswith=prefix),
             Q(name__icontains=f"-{prefix}") | Q(name__icontains=f" {prefix}") | Q(name__icontains=f"_{prefix}"),
             synonyms, Q(name__icontains=prefix)]
    names: list[str] = []
    for tier in tiers:
        if len(names) >= limit or not tier:
            continue
        names += [n for n in used.filter(tier).exclude(name__in=names).order_by("name")
                  .values_list("name", flat=True)[:limit - len(names)]]
    return names


# -- related incidents --------------------------------------------------------------------------


def related_links(postmortem: PostMortem, user) -> list[dict]:
    """Return the links with `postmortem` at either end whose other end `user` may see, oldest first."""
    visible = PostMortem.objects.visible_to(user).values("pk")
    links = (
        RelatedLink.objects.filter(Q(source=postmortem, target__in=visible) | Q(target=postmortem, source__in=visible))
        .select_related("source", "target").order_by("created_at", "id")
    )
    return [{"link": link, "other": link.target if link.source_id == postmortem.pk else link.source,
             "outgoing": link.source_id == postmortem.pk} for link in links]


def related_context(postmortem: PostMortem, user) -> dict:
    """Return the explicit links (both directions) and the top five similar incidents `user` may see."""
    linked = related_links(postmortem, user)
    exclude = {item["other"].pk for item in linked}
    return {
        "postmortem": postmortem,
        "links": linked,
        "similar": cached("similar", user=user, parts=(postmortem.pk, *sorted(exclude)), compute=lambda: (
            similar_incidents(user=user, postmortem=postmortem, exclude_ids=exclude))),
        "can_edit_links": can_edit(user, postmortem),
    }


@transaction.atomic
def related_link_add(*, user, source: PostMortem, target_slug: str, note: str) -> RelatedLink:
    """Link `source` to the post-mortem `target_slug`, which `user` must be able to see."""
    if not can_edit(user, source):
        raise PermissionDenied("Only the authors and facilitators link this post-mortem.")
    target = PostMortem.objects.visible_to(user).filter(slug=target_slug.strip().strip("/").split("/")[-1]).first()
    if target is None:
        raise ValidationError("No post-mortem you can see has that address.")
    if target.pk == source.pk:
        raise ValidationError("A post-mortem cannot be linked to itself.")
    if RelatedLink.objects.filter(Q(source=source, target=target) | Q(source=target, target=source)).exists():
        raise ValidationError(f"“{target.title}” is already linked.")
    try:
        with transaction.atomic():
            return RelatedLink.objects.create(source=source, target=target, note=note.strip()[:200], created_by=user)
    except IntegrityError:
        raise ValidationError(f"“{target.title}” is already linked.") from None


@transaction.atomic
def related_link_delete(*, user, postmortem: PostMortem, link_id: int) -> None:
    """Remove a link that has `postmortem` at either end."""
    if not can_edit(user, postmortem):
        raise PermissionDenied("Only the authors and facilitators change this post-mortem's links.")
    link = RelatedLink.objects.filter(Q(source=postmortem) | Q(target=postmortem), pk=link_id).first()
    if link is None:
        raise ValidationError("That link does not exist any more.")
    link.delete()


# -- reading lists ------------------------------------------------------------------------------


def _list_progress(user):
    visible = PostMortem.objects.visible_to(user).values("pk")
    return ReadingList.objects.annotate(
        item_count=Count("items", filter=Q(items__postmortem__in=visible), distinct=True),
        read_count=Count("items", filter=Q(items__postmortem__in=visible, items__read_marks__user=user),
                         distinct=True),
    )


def reading_lists_for(*, user) -> list[ReadingList]:
    """Return the reading lists with something `user` may read, with item_count and read_count."""
    return [rl for rl in _list_progress(user).order_by("position", "title") if rl.item_count]


def unfinished_reading_lists(user) -> list[ReadingList]:
    """Return the new-hire reading lists `user` has not finished (for the home page)."""
    if not user.is_authenticated:
        return []
    return [rl for rl in _list_progress(user).filter(for_new_hires=True).order_by("position", "title")
            if rl.item_count and rl.read_count < rl.item_count]


def reading_list_items(*, user, reading_list: ReadingList) -> list[ReadingListItem]:
    """Return the list's items `user` may read, in order, each with `is_read`."""
    return list(
        reading_list.items.filter(postmortem__in=PostMortem.objects.visible_to(user).values("pk"))
        .select_related("postmortem")
        .prefetch_related("postmortem__teams", "postmortem__tags")
        .annotate(is_read=Exists(ReadMark.objects.filter(item=OuterRef("pk"), user=user)))
        .order_by("position", "id")
    )


@transaction.atomic
def reading_list_append(*, reading_list: ReadingList, postmortems, note: str = "", user=None) -> list[PostMortem]:
    """Add `postmortems` at the end of the list, in incident order; return those added (not already on it).

    The authors of each one added hear of it (but `user`, who added it)."""
    present = set(reading_list.items.values_list("postmortem_id", flat=True))
    position = (reading_list.items.aggregate(m=Max("position"))["m"] or 0) + 1
    added = [pm for pm in postmortems.order_by("started_at", "pk") if pm.pk not in present]
    ReadingListItem.objects.bulk_create(
        ReadingListItem(reading_list=reading_list, postmortem=pm, position=position + i, note=note)
        for i, pm in enumerate(added)
    )
    notifications.added_to_reading_list(postmortems=added, reading_list_title=reading_list.title, user=user)
    return added


@transaction.atomic
def reading_list_item_mark(*, user, item: ReadingListItem, read: bool) -> None:
    """Mark `item` read or unread for `user`."""
    if read:
        ReadMark.objects.get_or_create(user=user, item=item)
    else:
        ReadMark.objects.filter(user=user, item=item).delete()


# -- feed ---------------------------------------------------------------------------------------


def published_for_feed(*, user, limit: int = 30):
    """Return the newest published write-ups `user` may see, newest first."""
    return (
        PostMortem.objects.visible_to(user).published().filter(published_at__isnull=False)
        .with_list_data().order_by("-published_at", "-pk")[:limit]
    )


# -- tags: renaming, merging and deleting (the facilitator's desk) ------------------------------
# A tag change alters what post-mortems carry, so each affected post-mortem gets a Revision (and a
# fresh search entry) through postmortems.services.


def postmortem_ids_tagged(tag_ids: Iterable[int]) -> list[int]:
    """Return the ids of the post-mortems that carry any of `tag_ids`."""
    return list(
        TaggedItem.objects.filter(tag_id__in=list(tag_ids), content_type=_postmortem_type())
        .values_list("object_id", flat=True)
        .distinct()
    )


def _record_tag_change(*, postmortem_ids: Iterable[int], user, action: str, comment: str) -> None:
    """Record a Revision on each of `postmortem_ids` (a short `action`; names and details in `comment`)."""
    for postmortem in PostMortem.objects.filter(pk__in=list(postmortem_ids)):
        postmortem_record_change(postmortem=postmortem, user=user, action=action, comment=comment)


@transaction.atomic
def tag_save(*, tag: Tag, user, renamed_from: str | None = None) -> Tag:
    """Save `tag`; when its name changed (from `renamed_from`), record it on every post-mortem carrying it."""
    tag.save()
    if renamed_from is not None and renamed_from != tag.name:
        _record_tag_change(
            postmortem_ids=postmortem_ids_tagged([tag.pk]), user=user, action="tag renamed",
            comment=f"“{renamed_from}” renamed to “{tag.name}”.",
        )
    return tag


@transaction.atomic
def tags_delete(*, tags: Iterable[Tag], user) -> None:
    """Delete `tags`, recording the removal on every post-mortem that carried one."""
    tags = list(tags)
    affected = postmortem_ids_tagged(t.pk for t in tags)
    Tag.objects.filter(pk__in=[t.pk for t in tags]).delete()
    names = ", ".join(f"“{t.name}”" for t in tags)
    _record_tag_change(postmortem_ids=affected, user=user, action="tags deleted in admin", comment=f"{names} deleted.")


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
    _record_tag_change(
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
