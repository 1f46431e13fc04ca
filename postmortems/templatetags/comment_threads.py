from django import template

register = template.Library()


@register.inclusion_tag("postmortems/includes/_editor_threads.html", takes_context=True)
def editor_threads(context, threads_by_part, kind, pk):
    """Show the open threads on one part of a post-mortem, read-only, beside it in the editor."""
    return {"threads": (threads_by_part or {}).get((kind, pk), []), "pm": context.get("pm")}


@register.inclusion_tag("postmortems/includes/_editor_threads.html", takes_context=True)
def editor_threads_of_kind(context, threads_by_part, kind):
    """Show the open threads on every row of one kind (timeline events, factors, action items) in the editor."""
    threads = [t for (k, _), ts in sorted((threads_by_part or {}).items(), key=lambda kv: str(kv[0]))
               if k == kind for t in ts]
    return {"threads": threads, "pm": context.get("pm"), "about_rows": True}


@register.inclusion_tag("postmortems/includes/_reviewers.html", takes_context=True)
def reviewers_panel(context, postmortem):
    """The named reviewers of a post-mortem, where each review stands, and the forms to ask and to decide."""
    from postmortems import reviews
    from postmortems.access import can_edit
    from postmortems.models import ReviewRequest

    user = context["request"].user
    if not postmortem.shows_work_in_progress_to(user):
        return {"show": False}
    requests = list(ReviewRequest.objects.filter(postmortem=postmortem).select_related("reviewer"))
    open_for_review = reviews.under_review(postmortem)
    mine = next((r for r in requests if r.reviewer_id == user.pk), None)
    return {
        "show": bool(requests) or open_for_review,
        "pm": postmortem,
        "requests": requests,
        "open_for_review": open_for_review,
        "may_ask": open_for_review and can_edit(user, postmortem),
        "candidates": [u for u in reviews.eligible_reviewers(postmortem) if u.pk != user.pk] if open_for_review else [],
        "mine": mine if open_for_review else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("postmortems/includes/_follow_button.html", takes_context=True)
def follow_button(context, kind, obj, compact=False):
    """A Follow / Following button for a post-mortem, a tag or a team."""
    from django.urls import reverse

    from postmortems import follows

    user = context["request"].user
    following = follows.is_following(user, **{kind: obj})
    name = {"postmortem": "follow_postmortem", "tag": "follow_tag", "team": "follow_team"}[kind]
    return {"action": reverse(name, args=[obj.slug]), "following": following, "csrf_token": context.get("csrf_token"),
            "back": context["request"].get_full_path(), "label": getattr(obj, "name", None) or str(obj),
            "compact": compact}
