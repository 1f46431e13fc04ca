"""Turn what the chat and paging readers found into timeline rows for `postmortem_add_timeline`.

Shared by the `import_slack` and `import_pagerduty` commands and the editor's upload, so the three
say the same thing about the same file.
"""

from dataclasses import dataclass, field
from datetime import datetime

from postmortems.interchange.chat import ChatMessage, PagingResult, event_text
from postmortems.interchange.timeline import guess_kind


@dataclass
class ToolTimeline:
    events: list[dict] = field(default_factory=list)  # {"when", "kind", "description"}
    times: dict[str, datetime] = field(default_factory=dict)
    speakers: dict[str, str] = field(default_factory=dict)  # name → placeholder, for the rename step
    report: list[str] = field(default_factory=list)  # what became structure, what was left out


def from_chat(messages: list[ChatMessage], speakers: dict[str, str], *, outside_window: int = 0,
              skipped: int = 0) -> ToolTimeline:
    timeline = ToolTimeline(speakers=dict(speakers))
    for message in messages:
        if message.at is None:
            continue
        timeline.events.append({"when": message.at, "kind": guess_kind(message.text),
                                "description": event_text(message, speakers)})
    timeline.report.append(f"{len(timeline.events)} message(s) became timeline events")
    if skipped:
        timeline.report.append(f"{skipped} join/leave or empty message(s) left out")
    if outside_window:
        timeline.report.append(f"{outside_window} message(s) outside the time window left out")
    if speakers:
        timeline.report.append("speakers as placeholders: " + ", ".join(f"{label} = {name}" for name, label
                                                                          in speakers.items()))
    return timeline


def from_paging(result: PagingResult) -> ToolTimeline:
    timeline = ToolTimeline(speakers=dict(result.speakers))
    for event in result.events:
        timeline.events.append({"when": event.at, "kind": event.kind, "description": f"PagerDuty: {event.text}"})
    # The page is the moment the incident was noticed; when nothing earlier is known, it also starts it.
    timeline.times = {name: value for name, value in (
        ("started_at", result.triggered_at), ("detected_at", result.triggered_at),
        ("resolved_at", result.resolved_at)) if value is not None}
    timeline.report.append(f"{len(timeline.events)} log entries became timeline events (triggered, acknowledged, "
                           "escalated, annotated, resolved)")
    if result.other_entries:
        timeline.report.append(f"{result.other_entries} assignment and notification entries left out")
    if result.speakers:
        timeline.report.append("people as placeholders: " + ", ".join(f"{label} = {name}" for name, label
                                                                       in result.speakers.items()))
    return timeline
