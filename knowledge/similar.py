"""Similar incidents: shared tags, shared contributing-factor categories and similar words.

score = 3 × shared tags + 2 × shared factor categories + 4 × text similarity (0–1, relative to the
best text match), ties broken by the most recent incident, then by id, so the order is stable.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from taggit.models import TaggedItem

from knowledge import search
from postmortems.models import ContributingFactor, PostMortem

TAG_WEIGHT = 3.0
CATEGORY_WEIGHT = 2.0
TEXT_WEIGHT = 4.0
CANDIDATES = 30


def similarity_scores(*, user, postmortem: PostMortem | None = None, title: str = "", summary: str = "",
                      exclude_ids=()) -> dict[int, float]:
    """Return {postmortem_id: score} for visible post-mortems resembling `postmortem` (or the given text)."""
    if postmortem is not None:
        title, summary = title or postmortem.title, summary or postmortem.summary
    exclude_id = postmortem.pk if postmortem is not None else None
    scores: dict[int, float] = {}
    text = search.similar_by_text(user=user, title=title, summary=summary, exclude_id=exclude_id, limit=CANDIDATES)
    best = max((score for _, score in text), default=0.0)
    for pk, score in text:
        if best > 0:
            scores[pk] = scores.get(pk, 0.0) + TEXT_WEIGHT * score / best
    if postmortem is not None:
        visible = PostMortem.objects.visible_to(user).exclude(pk=postmortem.pk).values("pk")
        shared_tags = (
            TaggedItem.objects.filter(
                content_type=ContentType.objects.get_for_model(PostMortem),
                tag_id__in=TaggedItem.objects.filter(
                    content_type=ContentType.objects.get_for_model(PostMortem), object_id=postmortem.pk
                ).values("tag_id"),
                object_id__in=visible,
            )
            .values("object_id").annotate(n=Count("tag_id", distinct=True)).order_by("-n", "-object_id")[:CANDIDATES]
        )
        for row in shared_tags:
            scores[row["object_id"]] = scores.get(row["object_id"], 0.0) + TAG_WEIGHT * row["n"]
        shared_categories = (
            ContributingFactor.objects.filter(
                category_id__in=ContributingFactor.objects.filter(postmortem=postmortem).values("category_id"),
                postmortem_id__in=visible,
            )
            .values("postmortem_id").annotate(n=Count("category_id", distinct=True))
            .order_by("-n", "-postmortem_id")[:CANDIDATES]
        )
        for row in shared_categories:
            scores[row["postmortem_id"]] = scores.get(row["postmortem_id"], 0.0) + CATEGORY_WEIGHT * row["n"]
    for pk in exclude_ids:
        scores.pop(pk, None)
    return {pk: round(score, 6) for pk, score in scores.items() if score > 0}


def similar_incidents(*, user, postmortem: PostMortem | None = None, title: str = "", summary: str = "",
                      exclude_ids=(), limit: int = 5) -> list[PostMortem]:
    """Return the `limit` most similar visible post-mortems, each with `similarity` and `open_actions`."""
    from knowledge.services import _with_open_actions

    scores = similarity_scores(user=user, postmortem=postmortem, title=title, summary=summary,
                               exclude_ids=exclude_ids)
    if not scores:
        return []
    candidates = list(PostMortem.objects.visible_to(user).filter(pk__in=scores)
                      .values_list("pk", "started_at", "created_at"))
    candidates.sort(key=lambda row: (-scores[row[0]], -(row[1] or row[2]).timestamp(), -row[0]))
    top = [pk for pk, _, _ in candidates[:limit]]
    found = _with_open_actions(PostMortem.objects.filter(pk__in=top)).in_bulk()
    result = []
    for pk in top:
        pm = found[pk]
        pm.similarity = scores[pk]
        result.append(pm)
    return result
