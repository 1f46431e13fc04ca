"""Similar incidents: shared tags, shared contributing-factor categories and similar words.

score = 3 × shared tags + 2 × shared factor categories + 4 × text similarity (0–1, relative to the
best text match), ties broken by the most recent incident, then by id, so the order is stable.
Candidates are bounded so the cost does not grow with the archive: the 30 best text matches among
the newest ranked ones, the newest 400 sharing a tag and the newest 100 sharing a factor category.
"""

from knowledge import search
from knowledge.models import SearchFacts
from postmortems.models import PostMortem

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
        own = SearchFacts.objects.filter(pk=postmortem.pk).values_list("tag_ids", "category_ids").first()
        tags, categories = (set(own[0]), set(own[1])) if own else (set(), set())
        candidates = set(search.newest_sharing(user=user, tag_ids=sorted(tags), category_ids=sorted(categories)))
        candidates |= set(scores)
        candidates.discard(postmortem.pk)
        for pk, tag_ids, category_ids in SearchFacts.objects.filter(pk__in=candidates).values_list(
            "pk", "tag_ids", "category_ids"
        ):
            shared = TAG_WEIGHT * len(tags & set(tag_ids)) + CATEGORY_WEIGHT * len(categories & set(category_ids))
            if shared:
                scores[pk] = scores.get(pk, 0.0) + shared
    for pk in exclude_ids:
        scores.pop(pk, None)
    return {pk: round(score, 6) for pk, score in scores.items() if score > 0}


def similar_incidents(*, user, postmortem: PostMortem | None = None, title: str = "", summary: str = "",
                      exclude_ids=(), limit: int = 5) -> list[PostMortem]:
    """Return the `limit` most similar visible post-mortems, each with `similarity` and `open_actions`."""
    scores = similarity_scores(user=user, postmortem=postmortem, title=title, summary=summary,
                               exclude_ids=exclude_ids)
    if not scores:
        return []
    candidates = list(PostMortem.objects.visible_to(user).filter(pk__in=scores)
                      .values_list("pk", "started_at", "created_at"))
    candidates.sort(key=lambda row: (-scores[row[0]], -(row[1] or row[2]).timestamp(), -row[0]))
    top = [pk for pk, _, _ in candidates[:limit]]
    found = PostMortem.objects.filter(pk__in=top).with_open_actions().in_bulk()
    result = []
    for pk in top:
        pm = found[pk]
        pm.similarity = scores[pk]
        result.append(pm)
    return result
