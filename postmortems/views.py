"""The writing room's pages: the list, the editor, review and publishing, amendments, history, images.

Just over 500 lines: short function views, one per page or action, each through the one access
helper and a service; the coach's and the timeline's views already have their own modules.
"""

import re

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from postmortems import comments, notifications, reviews, services
from postmortems.access import (
    can_edit,
    editable_action_item_ids,
    get_action_item_for,
    get_postmortem_for,
    get_upload_for,
)
from postmortems.coach import checks
from postmortems.coach.views import findings_for_review
from postmortems.diffs import document_changes, revision_changes
from postmortems.forms import (
    ActionStatusForm,
    ApiTokenForm,
    Editor,
    NewPostMortemForm,
    ProfileForm,
    SendBackForm,
)
from postmortems.markdown import render_preview
from postmortems.models import (
    ActionItem,
    ActionStatus,
    Amendment,
    AmendmentStatus,
    ApiToken,
    PostMortem,
    Profile,
    Revision,
    Severity,
    Status,
    Team,
)
from postmortems.notification_forms import NotificationPreferencesForm
from postmortems.params import whole_number
from postmortems.ratelimit import rate_limited, seconds
from postmortems.roles import is_author, is_facilitator
from postmortems.uploads import ImageRefused, file_response

PAGE_SIZE = 25


@login_not_required
@never_cache
def healthz(request):
    """Return 200 ok after a database round trip, 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def home(request):
    user = request.user
    visible = PostMortem.objects.visible_to(user)
    ctx = {
        "my_drafts": visible.filter(authors=user).exclude(status=Status.PUBLISHED).order_by("-updated_at")[:10],
        "my_amendments": (
            Amendment.objects.pending().filter(postmortem__in=visible.filter(authors=user))
            .select_related("postmortem").order_by("-updated_at")[:10]
        ),
        "awaiting_review": (
            reviews.with_review_counts(comments.with_open_comment_count(visible.filter(status=Status.IN_REVIEW)))
            .order_by("status_changed_at")[:10]
            if is_facilitator(user) else []
        ),
        "amendments_in_review": (
            Amendment.objects.filter(status=AmendmentStatus.IN_REVIEW, postmortem__in=visible)
            .select_related("postmortem").order_by("submitted_at")[:10]
            if is_facilitator(user) else []
        ),
        "my_actions": (
            ActionItem.objects.visible_to(user).filter(owner=user).still_open()
            .select_related("postmortem").order_by("due_date", "id")[:10]
        ),
        "recent": visible.published().with_list_data().order_by("-published_at")[:8],
        "today": timezone.localdate(),
    }
    return render(request, "postmortems/home.html", ctx)


@require_GET
def postmortem_list(request):
    qs = PostMortem.objects.visible_to(request.user).with_list_data()
    filters = {
        "status": request.GET.get("status", ""),
        "severity": request.GET.get("severity", ""),
        "team": request.GET.get("team", ""),
        "tag": request.GET.get("tag", ""),
    }
    if filters["status"] in Status.values:
        qs = qs.filter(status=filters["status"])
    if filters["severity"] in Severity.values:
        qs = qs.filter(severity=filters["severity"])
    # Filters as subqueries rather than joins: no DISTINCT over every column (it cost most of the page).
    if filters["team"]:
        in_team = PostMortem.teams.through.objects.filter(team__slug=filters["team"])
        qs = qs.filter(pk__in=in_team.values("postmortem_id"))
    if filters["tag"]:
        qs = qs.filter(pk__in=PostMortem.tags.through.objects.filter(
            tag__slug=filters["tag"], content_type=ContentType.objects.get_for_model(PostMortem)).values("object_id"))
    page = Paginator(qs.order_by("-started_at", "-created_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "statuses": Status.choices,
        "severities": Severity.choices,
        "teams": Team.objects.all(),
    }
    return render(request, "postmortems/list.html", ctx)


def postmortem_new(request):
    if not is_author(request.user):
        raise PermissionDenied("Only authors and facilitators write post-mortems.")
    initial = {"started_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = NewPostMortemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        postmortem = services.postmortem_create(
            user=request.user, template=data["template"], title=data["title"], severity=data["severity"],
            started_at=data["started_at"], restricted=data["restricted"],
        )
        messages.success(request, "Draft created. Write it up here; save as often as you like.")
        return redirect("postmortem_edit", slug=postmortem.slug)
    return render(request, "postmortems/new.html", {"form": form})


@require_GET
def postmortem_detail(request, slug):
    postmortem = get_postmortem_for(request, slug)
    user = request.user
    editable = can_edit(user, postmortem)
    amendment = services.pending_amendment(postmortem) if editable else None
    ctx = {
        "pm": postmortem,
        "amendment": amendment,
        "last_amendment": postmortem.amendments.filter(status=AmendmentStatus.PUBLISHED)
        .order_by("-published_at").first() if postmortem.status == Status.PUBLISHED else None,
        "sections": postmortem.sections.all(),
        "events": postmortem.timeline_events.all(),
        "factors": postmortem.factors.select_related("category").order_by("category__position", "position", "id"),
        "action_items": postmortem.action_items.select_related("owner"),
        "can_edit": editable,
        "is_facilitator": is_facilitator(user),
        "send_back_form": SendBackForm(),
        "missing": services.missing_required_sections(postmortem) if postmortem.status == Status.DRAFT else [],
        "last_send_back": _last_send_back(postmortem, None),
        "coach": (
            findings_for_review(postmortem, user=user)
            if postmortem.status != Status.PUBLISHED and (editable or is_facilitator(user))
            else None
        ),
        "today": timezone.localdate(),
    }
    return render(request, "postmortems/detail.html", ctx)


def postmortem_edit(request, slug):
    postmortem = get_postmortem_for(request, slug, write=True)
    if request.method == "POST":
        return _editor_save(request, postmortem)
    document, amendment = services.working_document(postmortem)
    editor = Editor(postmortem, user=request.user, document=document, version=postmortem.version, amendment=amendment)
    return _render_editor(request, postmortem, editor, amendment=amendment)


def _editor_save(request, postmortem):
    """Save the editor's POST; on bad input or a conflict, show the editor again with everything kept."""
    amendment = services.pending_amendment(postmortem)
    editor = Editor(
        postmortem, user=request.user, data=request.POST, document=amendment.document if amendment else None
    )
    if not editor.is_valid():
        messages.error(request, "Nothing was saved: please correct the fields marked below.")
        return _render_editor(request, postmortem, editor, status=400)
    submit = "submit_for_review" in request.POST
    try:
        result = services.postmortem_save(
            postmortem=postmortem, user=request.user, base_version=editor.version, document=editor.document(),
            amendment_id=editor.amendment_id, resolutions=editor.resolutions(), restricted=editor.restricted,
            submit=submit,
        )
    except services.EditConflict as exc:
        amendment = services.pending_amendment(postmortem)
        shown = Editor(postmortem, user=request.user, document=exc.merged, version=exc.version, amendment=amendment,
                       restricted=editor.restricted, conflicts=exc.conflicts)
        shown.show_conflicts([c.key for c in exc.conflicts], theirs=exc.current, mine=exc.merged)
        return _render_editor(request, postmortem, shown, status=409, amendment=amendment)
    except services.UnresolvedConflicts as exc:
        editor.show_conflicts(editor.conflict_keys(), theirs=exc.base, mine=editor.document(),
                              chosen=editor.resolutions())
        messages.error(request, exc.messages[0])
        return _render_editor(request, postmortem, editor, status=400)
    except ValidationError as exc:
        messages.error(request, "Nothing was saved: " + " ".join(exc.messages))
        return _render_editor(request, postmortem, editor, status=400)
    amendment = services.pending_amendment(postmortem)
    if submit and result.revision is not None:
        _submitted_message(request, postmortem)
        target = reverse("amendment_review", args=[postmortem.slug]) if amendment else postmortem.get_absolute_url()
        return _saved(request, target)
    if result.revision is None:
        messages.info(request, "No changes to save.")
    elif amendment is not None:
        messages.success(request, "Saved in the amendment. Readers keep seeing the published text until a "
                                  "facilitator publishes it.")
    else:
        messages.success(request, "Saved.")
    return _saved(request, reverse("postmortem_edit", args=[postmortem.slug]))


def _saved(request, url):
    """Redirect after a save; the editor's script (which posts with fetch) gets the address as JSON."""
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"redirect": url})
    return redirect(url)


def _render_editor(request, postmortem, editor, *, status=200, amendment=None):
    if amendment is None and status != 200:
        amendment = services.pending_amendment(postmortem)
    ctx = {
        "pm": postmortem,
        "editor": editor,
        "form": editor.form,
        "sections": editor.sections,
        "events": editor.events,
        "factors": editor.factors,
        "actions": editor.actions,
        "conflicts": editor.panels,
        "amendment": amendment,
        "last_send_back": _last_send_back(postmortem, amendment),
        "rerendered": status != 200,
        "comment_threads": comments.open_threads_for_editor(postmortem, request.user),
    }
    response = render(request, "postmortems/edit.html", ctx, status=status)
    response["X-Hindsight-Editor"] = "1"  # the editor's script replaces the page with this answer
    return response


def _last_send_back(postmortem, amendment):
    """Return the facilitator's send-back revision the authors are working on now, if any."""
    if amendment is not None:
        if amendment.status != AmendmentStatus.DRAFT:
            return None
        return amendment.revisions.filter(action="amendment sent back").select_related("user").first()
    if postmortem.status != Status.DRAFT:
        return None
    return postmortem.revisions.filter(action="sent back", amendment__isnull=True).select_related("user").first()


def _submitted_message(request, postmortem):
    still_open = checks.open_finding_count(postmortem)
    if still_open:
        messages.warning(
            request,
            f"Submitted for review. The language coach has {still_open} open finding"
            f"{'s' if still_open != 1 else ''}: fix each or keep it with a reason before it can be published.",
        )
    else:
        messages.success(request, "Submitted for review. A facilitator will read it next.")


@require_POST
def postmortem_submit(request, slug):
    postmortem = get_postmortem_for(request, slug, write=True)
    amending = postmortem.status == Status.PUBLISHED
    try:
        if amending:
            services.amendment_submit(postmortem=postmortem, user=request.user)
        else:
            services.postmortem_submit_for_review(postmortem=postmortem, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _submitted_message(request, postmortem)
    return redirect("amendment_review", slug=postmortem.slug) if amending else redirect(postmortem)


@require_POST
def postmortem_publish(request, slug):
    postmortem = get_postmortem_for(request, slug)
    if not is_facilitator(request.user):
        raise PermissionDenied("Only facilitators publish post-mortems.")
    amending = postmortem.status == Status.PUBLISHED
    try:
        if amending:
            services.amendment_publish(postmortem=postmortem, user=request.user)
        else:
            services.postmortem_publish(postmortem=postmortem, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("amendment_review", slug=postmortem.slug) if amending else redirect(postmortem)
    if amending:
        messages.success(request, "Published: the amendment is now the text readers see.")
    else:
        messages.success(request, "Published: it is now in the library.")
    return redirect(postmortem)


def postmortem_send_back(request, slug):
    postmortem = get_postmortem_for(request, slug)
    if not is_facilitator(request.user):
        raise PermissionDenied("Only facilitators send post-mortems back.")
    amending = postmortem.status == Status.PUBLISHED
    form = SendBackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        send_back = services.amendment_send_back if amending else services.postmortem_send_back
        try:
            send_back(postmortem=postmortem, user=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Sent back to the authors with your comment.")
        return redirect("amendment_review", slug=postmortem.slug) if amending else redirect(postmortem)
    return render(request, "postmortems/send_back.html", {"pm": postmortem, "form": form, "amending": amending})


@require_GET
def amendment_review(request, slug):
    """The pending amendment of a published post-mortem beside its published text, with the coach's findings."""
    postmortem = get_postmortem_for(request, slug)
    if not can_edit(request.user, postmortem):
        raise PermissionDenied("Until it is published, an amendment is for the authors and facilitators.")
    amendment = services.pending_amendment(postmortem)
    if amendment is None:
        raise Http404("This post-mortem has no amendment waiting.")
    user = request.user
    ctx = {
        "pm": postmortem,
        "amendment": amendment,
        "changes": document_changes(services.snapshot(postmortem), services.amendment_snapshot(amendment, postmortem)),
        "coach": findings_for_review(postmortem, user=user, document=amendment.document),
        "is_facilitator": is_facilitator(user),
        "last_send_back": _last_send_back(postmortem, amendment),
        "send_back_form": SendBackForm(),
    }
    return render(request, "postmortems/amendment.html", ctx)


@require_POST
def amendment_discard(request, slug):
    postmortem = get_postmortem_for(request, slug, write=True)
    try:
        services.amendment_discard(postmortem=postmortem, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("amendment_review", slug=postmortem.slug)
    messages.success(request, "Amendment discarded: the published text stays as it is.")
    return redirect(postmortem)


@require_GET
def postmortem_history(request, slug):
    """The versions the user may read (readers: published ones only), and what one changed since the one before."""
    postmortem = get_postmortem_for(request, slug)
    # Snapshots can be large: list the versions without them, then read the two being compared.
    revisions = list(Revision.objects.visible_to(request.user, postmortem).select_related("user").defer("snapshot"))
    wanted = request.GET.get("version", "")
    version = int(wanted) if re.fullmatch(r"[0-9]{1,9}", wanted) else None
    selected = next((r for r in revisions if r.version == version), None)
    missing = bool(wanted) and selected is None  # the same answer for a hidden version and one that never was
    selected = selected or (revisions[0] if revisions else None)
    previous = next((r for r in revisions if selected and r.version < selected.version), None)
    if selected is not None:
        snapshots = dict(Revision.objects.filter(pk__in=[r.pk for r in (selected, previous) if r])
                         .values_list("pk", "snapshot"))
        for revision in (selected, previous):
            if revision is not None:
                revision.snapshot = snapshots[revision.pk]
    ctx = {
        "pm": postmortem,
        "revisions": revisions,
        "selected": selected,
        "previous": previous,
        "missing": missing,
        "changes": revision_changes(previous, selected) if selected else [],
    }
    return render(request, "postmortems/history.html", ctx)


@require_GET
def action_item_list(request):
    user = request.user
    qs = ActionItem.objects.visible_to(user).select_related("postmortem", "owner")
    owner = request.GET.get("owner", "me")
    status = request.GET.get("status", "open")
    team = request.GET.get("team", "")
    overdue = request.GET.get("overdue") == "1"
    if owner == "me":
        qs = qs.filter(owner=user)
    elif owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif whole_number(owner) is not None:
        qs = qs.filter(owner_id=whole_number(owner))
    if status == "open":
        qs = qs.still_open()
    elif status in ActionStatus.values:
        qs = qs.filter(status=status)
    if team:
        qs = qs.filter(postmortem__teams__slug=team)
    if overdue:
        qs = qs.overdue()
    qs = qs.order_by("due_date", "id").distinct()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "page": page,
        "filters": {"owner": owner, "status": status, "team": team, "overdue": overdue},
        "query": query.urlencode(),
        "owners": get_user_model().objects.filter(pk__in=ActionItem.objects.visible_to(user).values("owner_id"))
        .order_by("first_name", "last_name", "username"),
        "teams": Team.objects.all(),
        "statuses": ActionStatus.choices,
        "today": timezone.localdate(),
        "editable": editable_action_item_ids(user, page.object_list),
    }
    return render(request, "postmortems/action_items.html", ctx)


@require_POST
def action_item_status(request, pk):
    item = get_action_item_for(request, pk, write=True)
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        services.action_item_set_status(
            action_item=item, user=request.user, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    else:
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"“{item.title}” was not changed: {errors}")
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect("action_item_list")


def _profile_page(request, *, form, token_form=None, new_secret="", status=200):
    """The profile page: time zone, notification preferences and personal API tokens."""
    ctx = {
        "form": form,
        "profile": form.instance,
        "notification_form": NotificationPreferencesForm(initial_choices=notifications.preferences_of(request.user)),
        "token_form": token_form or ApiTokenForm(),
        "new_secret": new_secret,
        "api_tokens": request.user.api_tokens.all(),
    }
    return render(request, "postmortems/profile.html", ctx, status=status)


def profile(request):
    profile = Profile.for_user(request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved. Times are now shown in your time zone.")
        return redirect("profile")
    return _profile_page(request, form=form)


def _preview_paused(request, limit, wait):
    return HttpResponse(
        format_html('<p class="preview-paused" role="status">The preview is paused for {}: it updates at most {} '
                    "times a minute. Your text is safe.</p>", seconds(wait), limit)
    )


@require_POST
@rate_limited("preview", _preview_paused)
def markdown_preview(request):
    """The editor's live preview of a section, through the one sanitising renderer (sign-in required)."""
    html, status = render_preview(request.POST.get("content", ""))
    return HttpResponse(html, status=status)


@require_POST
def image_upload(request):
    """An image dropped into a post-mortem's editor: JSON with the Markdown that shows it, or (400) why
    it was refused, for the editor to show beside the text."""
    if not is_author(request.user):
        raise PermissionDenied("Only authors upload images.")
    slug = request.POST.get("postmortem", "")
    if not slug_re.fullmatch(slug):  # as the URL's <slug:…> would: no null bytes or other noise reach the query
        raise Http404("No such post-mortem.")
    postmortem = get_postmortem_for(request, slug, write=True)
    image = request.FILES.get("image")
    if image is None:
        return JsonResponse({"error": "Choose an image file to add."}, status=400)
    try:
        upload = services.upload_create(postmortem=postmortem, user=request.user, image=image, name=image.name[:80])
    except ImageRefused as refusal:
        return JsonResponse({"error": str(refusal)}, status=400)
    return JsonResponse({"image_code": f"![]({upload.url})", "url": upload.url})


@require_safe
def media_file(request, name):
    """An image dropped into the editor, for people who may see its post-mortem (404 for anyone else)."""
    return file_response(get_upload_for(request, name))


@login_not_required
@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico on their own; point them at the static icon (long-cached by WhiteNoise)."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))


# --- Personal API tokens (on the profile page) --------------------------------------------------


@require_POST
def api_token_create(request):
    """Create a token and show its secret once, on the profile page (it is never shown again)."""
    form = ApiTokenForm(request.POST)
    secret = ""
    if form.is_valid():
        try:
            token, secret = services.api_token_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Token “{token.name}” created. Copy it now: it is not shown again.")
            form = ApiTokenForm()
    return _profile_page(request, form=ProfileForm(instance=Profile.for_user(request.user)), token_form=form,
                         new_secret=secret, status=200 if secret else 400)


@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token, user=request.user)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("profile")
