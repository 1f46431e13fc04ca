"""Asking for reviewers and recording their approvals (the panel on a post-mortem's page)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from postmortems import reviews
from postmortems.access import get_postmortem_for
from postmortems.params import whole_number


@require_POST
def reviewers_request(request, slug):
    postmortem = get_postmortem_for(request, slug)
    ids = [whole_number(v) for v in request.POST.getlist("reviewer")]
    people = list(get_user_model().objects.filter(pk__in=[i for i in ids if i is not None]))
    try:
        if len(people) != len(ids):
            raise ValidationError("Choose reviewers from the list.")
        reviews.reviewers_request(postmortem=postmortem, user=request.user, reviewers=people)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(postmortem.get_absolute_url() + "#reviewers")
    names = ", ".join(p.get_full_name() or p.username for p in people)
    messages.success(request, f"Review requested from {names}.")
    return redirect(postmortem.get_absolute_url() + "#reviewers")


@require_POST
def review_decide(request, slug):
    postmortem = get_postmortem_for(request, slug)
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    try:
        if decision not in ("approve", "changes"):
            raise ValidationError("Choose “Approve” or “Request changes”.")
        reviews.review_decide(postmortem=postmortem, user=request.user, approve=decision == "approve", note=note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + (f" Your note: “{note[:2000]}”" if note.strip() else ""))
        return redirect(postmortem.get_absolute_url() + "#reviewers")
    messages.success(request, "Approved." if decision == "approve" else "Changes requested; the authors are told.")
    return redirect(postmortem.get_absolute_url() + "#reviewers")
