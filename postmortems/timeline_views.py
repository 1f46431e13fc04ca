"""The editor's timeline paste (parse only, nothing saved) and the Markdown export of one post-mortem."""

import json
from datetime import datetime

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from postmortems.access import get_postmortem_for
from postmortems.interchange.chat import ExportError, PagingError, read_pagerduty, read_slack_export
from postmortems.interchange.exporter import postmortem_to_markdown
from postmortems.interchange.timeline import parse_timeline
from postmortems.interchange.tools import from_chat, from_paging
from postmortems.ratelimit import rate_limited, seconds

MAX_PASTE_CHARS = 100_000
MAX_PASTE_LINES = 2_000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_FILES = 20
TOOL_TIME_FIELDS = ("started_at", "detected_at", "resolved_at")


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


def _local(when, zone) -> str:
    return timezone.localtime(when, zone).strftime("%Y-%m-%dT%H:%M")


def _window_edge(value: str, zone):
    """Return the aware time a `datetime-local` field holds (in the user's zone), or None; ValueError if bad."""
    if not value.strip():
        return None
    when = datetime.fromisoformat(value.strip())
    return when if when.tzinfo else timezone.make_aware(when, zone)


@require_POST
@rate_limited("timeline_paste", _pastes_paused)
def timeline_upload(request, slug):
    """Return the events of an uploaded Slack export (.zip) or PagerDuty log entries (.json), as the paste
    box's preview does: nothing is saved until the author adds the rows and saves."""
    get_postmortem_for(request, slug, write=True)
    files = request.FILES.getlist("file")
    if not files:
        return JsonResponse({"error": "Choose a Slack export (.zip) or PagerDuty log entries (.json) first."},
                            status=400)
    if len(files) > MAX_UPLOAD_FILES or sum(f.size for f in files) > MAX_UPLOAD_BYTES:
        return JsonResponse({"error": f"At most {MAX_UPLOAD_FILES} files and "
                                      f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB at once."}, status=400)
    zone = timezone.get_current_timezone()
    first = files[0].read()
    try:
        if first[:2] == b"PK":
            timeline = _slack_upload(request, first, zone)
        else:
            pages = [json.loads(raw.decode("utf-8-sig")) for raw in [first] + [f.read() for f in files[1:]]]
            timeline = from_paging(read_pagerduty(pages))
    except (ExportError, PagingError) as error:
        return JsonResponse({"error": f"{files[0].name}: {error}"}, status=400)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"error": f"{files[0].name} is neither a Slack export (.zip) nor JSON."}, status=400)
    events = [
        {"occurred_at": e["when"].isoformat(), "occurred_at_local": _local(e["when"], zone), "kind": e["kind"],
         "description": e["description"], "evidence_url": ""}
        for e in timeline.events
    ]
    data = {"events": events, "unparsed": [], "report": timeline.report,
            "times": {name: _local(value, zone) for name, value in timeline.times.items() if name in TOOL_TIME_FIELDS}}
    if timeline.speakers:
        data["speakers"] = [{"placeholder": label, "name": name} for name, label in timeline.speakers.items()]
    return JsonResponse(data)


def _slack_upload(request, raw: bytes, zone):
    channel = request.POST.get("channel", "").strip()
    if not channel:
        raise ExportError("name the channel to read (for example incident-2024-03-04)")
    try:
        start = _window_edge(request.POST.get("from", ""), zone)
        end = _window_edge(request.POST.get("to", ""), zone)
    except ValueError:
        raise ExportError("the time window is not a date and time") from None
    if start and end and end < start:
        raise ExportError("the window ends before it starts")
    found = read_slack_export(raw, channel=channel, start=start, end=end)
    return from_chat(found.messages, found.speakers, outside_window=found.outside_window, skipped=found.skipped)


@require_safe
def postmortem_export_markdown(request, slug):
    """Download one post-mortem as a Markdown file the importer reads back."""
    postmortem = get_postmortem_for(request, slug)
    response = HttpResponse(postmortem_to_markdown(postmortem), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{postmortem.slug}.md"'
    return response
