"""Take post-mortems out as Markdown files that the importer reads back to the same post-mortem.

The file: YAML front matter (title, slug, severity, status, incident times in UTC, teams by slug,
tags, authors by username, restricted, and the rest of the metadata), then `# Title`, the summary,
one `## Heading` per section in order, `## Timeline` as a table, `## Contributing factors` as
`- **Category**: description` bullets and `## Action items` as a checkbox list whose first line
carries `(owner: @name, due: YYYY-MM-DD, status: …, priority: …, kind: …)`.
"""

from datetime import UTC, datetime

import yaml

from postmortems.models import ActionStatus, PostMortem

STATED_KEYS = ("started", "detected", "mitigated", "resolved", "template")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _when(value: datetime) -> str:
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%d %H:%M")
    if value.second or value.microsecond:
        text += value.strftime(":%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text


def _cell(text: str) -> str:
    """Return `text` safe inside a table cell; the importer's cell reader undoes every step."""
    text = text.replace("\r\n", "\n").strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "&#124;")
    return text.replace("\n", "<br>")


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line.strip() else "" for line in text.replace("\r\n", "\n").split("\n"))


def _escape_bold(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*")


def front_matter(postmortem: PostMortem) -> dict:
    data = {
        "title": postmortem.title,
        "slug": postmortem.slug,
        "severity": postmortem.get_severity_display(),
        "status": str(postmortem.status),
        "started": _iso(postmortem.started_at),
        "detected": _iso(postmortem.detected_at),
        "mitigated": _iso(postmortem.mitigated_at),
        "resolved": _iso(postmortem.resolved_at),
        "teams": [team.slug for team in postmortem.teams.all()],
        "tags": sorted(tag.name for tag in postmortem.tags.all()),
        "authors": sorted(user.username for user in postmortem.authors.all()),
        "restricted": postmortem.restricted,
    }
    if postmortem.facilitator_id:
        data["facilitator"] = postmortem.facilitator.username
    data["template"] = postmortem.template.slug if postmortem.template_id else None
    if postmortem.published_at:
        data["published_at"] = _iso(postmortem.published_at)
    if not postmortem.summary.strip():
        data["summary"] = ""
    # Times and the template are written even when empty: an explicit null tells the importer not to guess.
    return {key: value for key, value in data.items() if value is not None or key in STATED_KEYS}


def postmortem_to_markdown(postmortem: PostMortem) -> str:
    """Return `postmortem` as one Markdown file with YAML front matter."""
    meta = yaml.safe_dump(front_matter(postmortem), sort_keys=False, allow_unicode=True, width=1000)
    parts = [f"---\n{meta}---", f"# {postmortem.title}"]
    if postmortem.summary.strip():
        parts.append(postmortem.summary.replace("\r\n", "\n").strip())
    for section in postmortem.sections.all():
        body = section.body.replace("\r\n", "\n").strip("\n")
        parts.append(f"## {section.heading}\n\n{body}" if body else f"## {section.heading}")
    events = list(postmortem.timeline_events.all())
    if events:
        rows = ["| Time (UTC) | Kind | Event | Evidence |", "| --- | --- | --- | --- |"]
        rows += [
            f"| {_when(e.occurred_at)} | {e.kind} | {_cell(e.description)} | {_cell(e.evidence_url)} |"
            for e in events
        ]
        parts.append("## Timeline\n\n" + "\n".join(rows))
    factors = list(postmortem.factors.select_related("category"))
    if factors:
        lines = [f"- **{f.category.name}**: {_indent(f.description).lstrip()}" for f in factors]
        parts.append("## Contributing factors\n\n" + "\n".join(lines))
    items = list(postmortem.action_items.select_related("owner").order_by("id"))
    if items:
        parts.append("## Action items\n\n" + "\n".join(_action_item(item) for item in items))
    return "\n\n".join(parts) + "\n"


def _action_item(item) -> str:
    box = "x" if item.status == ActionStatus.DONE else " "
    meta = []
    if item.owner_id:
        meta.append(f"owner: @{item.owner.username}")
    if item.due_date:
        meta.append(f"due: {item.due_date.isoformat()}")
    meta += [f"status: {item.get_status_display().lower()}", f"priority: {item.priority}", f"kind: {item.kind}"]
    lines = [f"- [{box}] **{_escape_bold(item.title)}** ({', '.join(meta)})"]
    if item.tracker_url:
        lines.append(f"  Tracker: {item.tracker_url}")
    if item.status == ActionStatus.WONT_DO and item.wont_do_reason:
        lines.append(f"  Won't do: {' '.join(item.wont_do_reason.split())}")
    if item.description.strip():
        lines += ["", _indent(item.description.strip("\n"))]
    return "\n".join(lines)
