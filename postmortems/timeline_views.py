"""The editor's timeline paste (parse only, nothing saved) and the Markdown export of one post-mortem."""

import json

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from postmortems.access import get_postmortem_for
from postmortems.exporter import postmortem_to_markdown
from postmortems.ratelimit import rate_limited, seconds
from postmortems.timeline import parse_timeline

MAX_PASTE_CHARS = 100_000
MAX_PASTE_LINES = 2_000


def _pasted_text(request) -> str:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        text = data.get("text", "") if isinstance(data, dict) else ""
        return text if isinstance(text, str) else ""
    return request.POST.get("text", "")


def _pastes_paused(request, limit, wait):
    return JsonResponse({"error": f"Timelines are read at most {limit} times a minute: try again in "
                                  f"{seconds(wait)}. Your text is still here."})


@require_POST
@rate_limited("timeline_paste", _pastes_paused)
def timeline_parse(request, slug):
    """Return the events pasted text describes, as JSON, for the editor to add as timeline rows."""
    postmortem = get_postmortem_for(request, slug, write=True)
    text = _pasted_text(request)
    if not text.strip():
        return JsonResponse({"error": "Paste some timeline lines first."}, status=400)
    if len(text) > MAX_PASTE_CHARS or text.count("\n") >= MAX_PASTE_LINES:
        return JsonResponse(
            {"error": f"That is too much to paste at once: at most {MAX_PASTE_LINES:,} lines "
                      f"and {MAX_PASTE_CHARS:,} characters."},
            status=400,
        )
    zone = timezone.get_current_timezone()
    start = postmortem.started_at or timezone.now()
    result = parse_timeline(text, default_date=timezone.localtime(start, zone).date(), tz=zone)
    events = [
        {
            "occurred_at": event.occurred_at.isoformat(),
            "occurred_at_local": timezone.localtime(event.occurred_at, zone).strftime("%Y-%m-%dT%H:%M"),
            "kind": event.kind_guess,
            "description": event.description,
            "evidence_url": event.evidence_url,
        }
        for event in result.events
    ]
    data = {"events": events, "unparsed": result.unparsed_lines}
    if result.speakers:  # chat: who each placeholder stands for, for the editor's rename step
        data["speakers"] = [{"placeholder": label, "name": name} for name, label in result.speakers.items()]
    return JsonResponse(data)


@require_safe
def postmortem_export_markdown(request, slug):
    """Download one post-mortem as a Markdown file the importer reads back."""
    postmortem = get_postmortem_for(request, slug)
    response = HttpResponse(postmortem_to_markdown(postmortem), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{postmortem.slug}.md"'
    return response
