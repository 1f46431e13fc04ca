"""Read incident chat and paging history into timeline events: Slack copies, Slack exports, PagerDuty.

Pure Python (no Django), shared by the editor's paste box, the `import_slack` and
`import_pagerduty` commands and the editor's uploads:

- `parse_slack_copy(text, ...)`: Slack's own copy format (`Priya Shah  2:02 PM` on one line, the
  message below; a bare `2:03` is a further message by the same person; day dividers such as
  `Thursday, August 15th`; reaction lines, "3 replies" and "(edited)" are not messages) and the
  `[2:02 PM] Name: text` style.
- `read_slack_export(source, channel=..., start=..., end=...)`: a Slack workspace export (the zip
  or its folder: `users.json`, `channels.json`, one JSON file per channel per UTC day).
- `read_pagerduty(documents)`: `/incidents/{id}/log_entries` responses (one or more pages).

People appear by role in a post-mortem, so speakers become placeholders ("Responder A", in order
of first appearance; bots keep their name) that the author renames to roles in one step; the
`speakers` mapping says who is who for that step and is never stored.
"""

import io
import json
import re
import string
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

MAX_EXPORT_BYTES = 200 * 1024 * 1024  # uncompressed, over all the files read from one export
MAX_JSON_FILE_BYTES = 20 * 1024 * 1024

_HEADER_RE = re.compile(
    r"^(?P<who>[^\s\d\[<][^\n]{0,60}?)\s{2,}(?:(?P<app>APP)\s{2,})?"
    r"(?P<time>\d{1,2}:\d{2})(?:\s?(?P<ampm>[AaPp][Mm]))?\s*$"
)
_BARE_TIME_RE = re.compile(r"^(?P<time>\d{1,2}:\d{2})(?:\s?(?P<ampm>[AaPp][Mm]))?\s*$")
_BRACKET_RE = re.compile(
    r"^\s*\[(?P<time>\d{1,2}:\d{2})(?::\d{2})?(?:\s?(?P<ampm>[AaPp][Mm]))?\]\s+(?P<who>[^:\n]{1,60}?):\s+(?P<text>.*)$"
)
_DAY_RE = re.compile(
    r"^(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+)?(?P<month>January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,\s+(?P<year>\d{4}))?\s*$"
)
_NOT_MESSAGE_RE = re.compile(
    r"^(?:\d+ repl(?:y|ies)|View thread|Last reply .*|New messages?|Today|Yesterday|"
    r"(?::[\w+\-]+:|[^\w\s]{1,4})(?:\s+\d+)?(?:\s+(?::[\w+\-]+:|[^\w\s]{1,4})\s+\d+)*)\s*$"
)
_EDITED_RE = re.compile(r"\s*\(edited\)\s*$")
_MONTHS = {name: number for number, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], start=1)}
BOT_NAMES = {"pagerduty", "alertmanager", "opsgenie", "datadog", "grafana", "statuspage", "jira", "github",
             "sentry", "incident.io", "slackbot"}


@dataclass
class ChatMessage:
    line: int  # 1-based line of its header (0 for exports)
    who: str
    clock: time
    text: str
    at: datetime | None = None  # aware; None when the day is unknown
    bot: bool = False


@dataclass
class ChatResult:
    messages: list[ChatMessage] = field(default_factory=list)
    unparsed_lines: list[str] = field(default_factory=list)
    speakers: dict[str, str] = field(default_factory=dict)  # name → placeholder


def placeholder(index: int) -> str:
    """Return "Responder A" … "Responder Z", "Responder AA" …"""
    letters = string.ascii_uppercase
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = letters[rest] + label
    return f"Responder {label}"


def assign_placeholders(messages: list[ChatMessage]) -> dict[str, str]:
    """Return name → placeholder for the people among `messages` (bots keep their names)."""
    speakers: dict[str, str] = {}
    for message in messages:
        if not message.bot and message.who not in speakers:
            speakers[message.who] = placeholder(len(speakers))
    return speakers


def replace_names(text: str, speakers: dict[str, str]) -> str:
    """Return `text` with each speaker's full name and first name replaced by their placeholder."""
    for name, label in sorted(speakers.items(), key=lambda item: -len(item[0])):
        text = re.sub(rf"(?<!\w)@?{re.escape(name)}(?!\w)", label, text)
        first = name.split()[0] if " " in name else ""
        if len(first) > 2:
            text = re.sub(rf"(?<!\w)@?{re.escape(first)}(?!\w)", label, text)
    return text


def looks_like_slack_copy(text: str) -> bool:
    """Return whether `text` reads as Slack's copy format (two or more `Name  2:02 PM` header lines)."""
    return sum(1 for line in text.split("\n")[:400] if _HEADER_RE.match(line.rstrip())) >= 2


def looks_like_bracket_chat(text: str) -> bool:
    return sum(1 for line in text.split("\n")[:400] if _BRACKET_RE.match(line)) >= 2


def _clock(raw: str, ampm: str | None, previous: time | None) -> time | None:
    hour, minute = (int(part) for part in raw.split(":"))
    if minute > 59:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    elif previous is not None and hour <= 12 and previous.hour >= 12 and hour + 12 <= 23 and hour < 12:
        # A bare "6:46" after "6:45 PM": the same half of the day, the closest time after.
        if (hour + 12) * 60 + minute >= previous.hour * 60 + previous.minute:
            hour += 12
    if hour > 23:
        return None
    return time(hour, minute)


def parse_slack_copy(text: str, *, default_date: date | None, tz: tzinfo) -> ChatResult:
    """Return the messages of a Slack copy (either format), dated from day dividers or `default_date`."""
    result = ChatResult()
    day = default_date
    last_at: datetime | None = None
    current: ChatMessage | None = None
    who, previous_clock = "", None
    body: list[str] = []

    def finish():
        if current is not None:
            current.text = _EDITED_RE.sub("", "\n".join(body).strip())
            result.messages.append(current)

    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.rstrip()
        header = _HEADER_RE.match(line)
        bare = _BARE_TIME_RE.match(line) if who else None
        bracket = _BRACKET_RE.match(line)
        divider = _DAY_RE.match(line.strip())
        if divider:
            year = int(divider.group("year")) if divider.group("year") else (day.year if day else None)
            if year:
                try:
                    day = date(year, _MONTHS[divider.group("month")], int(divider.group("day")))
                except ValueError:
                    pass
                last_at = None
            continue
        if line.strip() in ("Today", "Yesterday"):
            continue
        if header or bare or bracket:
            match = header or bare or bracket
            clock = _clock(match.group("time"), match.group("ampm"), previous_clock)
            if clock is None:
                if current is not None:
                    body.append(line)
                continue
            finish()
            if header or bracket:
                who = match.group("who").strip()
            previous_clock = clock
            at = None
            if day is not None:
                at = datetime.combine(day, clock, tzinfo=tz)
                if last_at is not None and at < last_at - timedelta(hours=1):
                    day += timedelta(days=1)  # past midnight
                    at += timedelta(days=1)
                last_at = at
            bot = bool(header and header.group("app")) or who.lower() in BOT_NAMES
            current = ChatMessage(line=number, who=who, clock=clock, text="", at=at, bot=bot)
            body = [bracket.group("text")] if bracket else []
            continue
        if current is None:
            if line.strip():
                result.unparsed_lines.append(line)
            continue
        if _NOT_MESSAGE_RE.match(line.strip()):
            continue
        body.append(line)
    finish()
    result.speakers = assign_placeholders(result.messages)
    return result


def event_text(message: ChatMessage, speakers: dict[str, str]) -> str:
    """Return the timeline text of a message: "Responder A: text", with names inside replaced too."""
    who = speakers.get(message.who, message.who)
    return f"{who}: {replace_names(message.text, speakers)}".strip()


# ---------------------------------------------------------------- Slack workspace export


class ExportError(Exception):
    """The export cannot be read; the message says why."""


class _Files:
    """Read JSON files from an export zip or its unpacked folder, with a cap on what is read."""

    def __init__(self, source: str | Path | bytes):
        self.read_bytes = 0
        if isinstance(source, bytes):
            try:
                self.zip = zipfile.ZipFile(io.BytesIO(source))
            except zipfile.BadZipFile:
                raise ExportError("not a zip file (a Slack export is a .zip)") from None
            self.folder = None
        elif Path(source).is_dir():
            self.zip, self.folder = None, Path(source)
        else:
            try:
                self.zip = zipfile.ZipFile(source)
            except (zipfile.BadZipFile, OSError) as error:
                raise ExportError(f"not a zip file or folder ({error})") from None
            self.folder = None
        self.prefix = ""
        if self.zip is not None:
            names = self.zip.namelist()
            users = sorted((n for n in names if n.endswith("users.json")), key=len)
            if users:
                self.prefix = users[0][: -len("users.json")]

    def names(self) -> list[str]:
        if self.folder is not None:
            return [str(p.relative_to(self.folder)) for p in self.folder.rglob("*.json")]
        return [n[len(self.prefix):] for n in self.zip.namelist() if n.startswith(self.prefix) and n.endswith(".json")]

    def load(self, name: str):
        if self.folder is not None:
            path = self.folder / name
            if not path.is_file():
                raise ExportError(f"{name} is missing")
            size = path.stat().st_size
            raw = path.read_bytes() if size <= MAX_JSON_FILE_BYTES else b""
        else:
            try:
                info = self.zip.getinfo(self.prefix + name)
            except KeyError:
                raise ExportError(f"{name} is missing") from None
            size = info.file_size
            raw = self.zip.read(info) if size <= MAX_JSON_FILE_BYTES else b""
        if size > MAX_JSON_FILE_BYTES:
            raise ExportError(f"{name} is larger than {MAX_JSON_FILE_BYTES // (1024 * 1024)} MB")
        self.read_bytes += size
        if self.read_bytes > MAX_EXPORT_BYTES:
            raise ExportError("the export is larger than can be read at once")
        try:
            return json.loads(raw.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            raise ExportError(f"{name} is not valid JSON") from None


_MENTION_RE = re.compile(r"<@(\w+)(?:\|[^>]*)?>")
_CHANNEL_RE = re.compile(r"<#\w+\|([^>]+)>")
_LINK_RE = re.compile(r"<((?:https?|mailto):[^|>]+)\|([^>]+)>")
_BARE_LINK_RE = re.compile(r"<((?:https?|mailto):[^>]+)>")
_SPECIAL_RE = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
NOT_EVENTS = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
              "pinned_item", "unpinned_item", "reminder_add"}


def slack_text(text: str, users: dict[str, str]) -> str:
    """Return Slack's markup as plain text: mentions as names, links as Markdown links."""
    text = _MENTION_RE.sub(lambda m: "@" + users.get(m.group(1), "someone"), text)
    text = _CHANNEL_RE.sub(lambda m: "#" + m.group(1), text)
    text = _LINK_RE.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", text)
    text = _BARE_LINK_RE.sub(lambda m: m.group(1), text)
    text = _SPECIAL_RE.sub(lambda m: "@" + m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass
class ExportResult:
    messages: list[ChatMessage]
    speakers: dict[str, str]
    channels: list[str]
    outside_window: int = 0
    skipped: int = 0  # joins, leaves and other channel housekeeping


def read_slack_export(source: str | Path | bytes, *, channel: str, start: datetime | None = None,
                      end: datetime | None = None) -> ExportResult:
    """Return the messages of `channel` between `start` and `end` (aware; either may be None)."""
    files = _Files(source)
    users_raw = files.load("users.json")
    channels_raw = files.load("channels.json")
    if not isinstance(users_raw, list) or not isinstance(channels_raw, list):
        raise ExportError("users.json and channels.json should each hold a list")
    users = {}
    for user in users_raw:
        if isinstance(user, dict) and user.get("id"):
            profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
            users[str(user["id"])] = str(user.get("real_name") or profile.get("real_name") or user.get("name") or "")
    bots = {str(u.get("id")) for u in users_raw if isinstance(u, dict) and u.get("is_bot")}
    names = [str(c.get("name")) for c in channels_raw if isinstance(c, dict) and c.get("name")]
    channel = channel.lstrip("#")
    if channel not in names:
        raise ExportError(f"no channel #{channel} in this export (it has: {', '.join('#' + n for n in names)})")
    day_files = sorted(n for n in files.names() if n.startswith(channel + "/") and re.fullmatch(
        rf"{re.escape(channel)}/\d{{4}}-\d{{2}}-\d{{2}}\.json", n))
    result = ExportResult(messages=[], speakers={}, channels=names)
    for name in day_files:
        day = date.fromisoformat(name[len(channel) + 1:-5])
        if (start and day < (start.astimezone(UTC).date() - timedelta(days=1))) or (
                end and day > end.astimezone(UTC).date() + timedelta(days=1)):
            entries = files.load(name)
            result.outside_window += len(entries) if isinstance(entries, list) else 0
            continue
        entries = files.load(name)
        if not isinstance(entries, list):
            raise ExportError(f"{name} should hold a list of messages")
        for entry in entries:
            at = _timestamp(entry)
            if at is not None and ((start and at < start) or (end and at > end)):
                result.outside_window += 1
                continue
            message = _export_message(entry, users, bots)
            if message is None:
                result.skipped += 1
                continue
            result.messages.append(message)
    result.messages.sort(key=lambda m: m.at)
    result.speakers = assign_placeholders(result.messages)
    return result


def _timestamp(entry) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(entry.get("ts")), tz=UTC).replace(microsecond=0)
    except (AttributeError, TypeError, ValueError, OverflowError, OSError):
        return None


def _export_message(entry, users: dict[str, str], bots: set[str]) -> ChatMessage | None:
    if not isinstance(entry, dict) or entry.get("type") != "message" or entry.get("subtype") in NOT_EVENTS:
        return None
    at = _timestamp(entry)
    if at is None:
        return None
    bot = entry.get("subtype") == "bot_message" or bool(entry.get("bot_id")) or entry.get("user") in bots
    who = users.get(str(entry.get("user") or ""), "") or str(entry.get("username") or "") or "Someone"
    if entry.get("user_profile", {}).get("real_name") if isinstance(entry.get("user_profile"), dict) else False:
        who = users.get(str(entry.get("user")), entry["user_profile"]["real_name"])
    text = slack_text(str(entry.get("text") or ""), users)
    if not text.strip():
        attachments = entry.get("attachments") if isinstance(entry.get("attachments"), list) else []
        parts = [str(a.get("title") or a.get("fallback") or "") for a in attachments if isinstance(a, dict)]
        text = "; ".join(p for p in parts if p)
    if not text.strip():
        return None
    return ChatMessage(line=0, who=who, clock=at.time(), text=text.strip(), at=at, bot=bot)


# ---------------------------------------------------------------- PagerDuty log entries

PAGERDUTY_EVENTS = {
    "trigger_log_entry": "detection", "acknowledge_log_entry": "action", "escalate_log_entry": "escalation",
    "annotate_log_entry": "observation", "resolve_log_entry": "resolution",
}


@dataclass
class PagingEvent:
    at: datetime
    kind: str  # a timeline event kind
    entry_type: str
    text: str
    who: str = ""


@dataclass
class PagingResult:
    events: list[PagingEvent]
    incident_ids: list[str]
    triggered_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    other_entries: int = 0
    speakers: dict[str, str] = field(default_factory=dict)


class PagingError(Exception):
    """The file is not a PagerDuty log entries response; the message says why."""


def read_pagerduty(documents: list) -> PagingResult:
    """Return the timeline of one or more `/incidents/{id}/log_entries` responses (pages in any order)."""
    entries, seen, incidents = [], set(), []
    for document in documents:
        if not isinstance(document, dict) or not isinstance(document.get("log_entries"), list):
            raise PagingError("no log_entries list (save the response of /incidents/{id}/log_entries)")
        for entry in document["log_entries"]:
            if not isinstance(entry, dict) or entry.get("id") in seen:
                continue
            seen.add(entry.get("id"))
            entries.append(entry)
    result = PagingResult(events=[], incident_ids=[])
    people: list[str] = []
    parsed = []
    for entry in entries:
        try:
            at = datetime.fromisoformat(str(entry.get("created_at")).replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            result.other_entries += 1
            continue
        incident = entry.get("incident") if isinstance(entry.get("incident"), dict) else {}
        if incident.get("id") and incident["id"] not in incidents:
            incidents.append(incident["id"])
        kind = PAGERDUTY_EVENTS.get(str(entry.get("type")))
        if kind is None:
            result.other_entries += 1
            continue
        agent = entry.get("agent") if isinstance(entry.get("agent"), dict) else {}
        who = str(agent.get("summary") or "") if agent.get("type") in ("user_reference", "user") else ""
        parsed.append((at, kind, str(entry.get("type")), entry, who))
    parsed.sort(key=lambda item: item[0])
    for _, _, _, entry, who in parsed:
        named = [who] + [str(p.get("summary") or "") for p in (entry.get("assignees") or []) if isinstance(p, dict)]
        people.extend(name for name in named if name and name not in people)
    for entry in entries:  # people named only by notifications ("Notified … by SMS") still get a placeholder
        user = entry.get("user") if isinstance(entry.get("user"), dict) else {}
        if user.get("summary") and user["summary"] not in people:
            people.append(str(user["summary"]))
    speakers = {name: placeholder(index) for index, name in enumerate(people)}
    for at, kind, entry_type, entry, who in parsed:
        summary = str(entry.get("summary") or entry_type.replace("_log_entry", "").title())
        channel = entry.get("channel") if isinstance(entry.get("channel"), dict) else {}
        if entry_type == "annotate_log_entry" and channel.get("summary"):
            summary = f"Note: {channel['summary']}"
        result.events.append(PagingEvent(at=at, kind=kind, entry_type=entry_type,
                                         text=replace_names(summary, speakers), who=speakers.get(who, who)))
        if entry_type == "trigger_log_entry" and result.triggered_at is None:
            result.triggered_at = at
        if entry_type == "acknowledge_log_entry" and result.acknowledged_at is None:
            result.acknowledged_at = at
        if entry_type == "resolve_log_entry":
            result.resolved_at = at
    result.incident_ids = incidents
    result.speakers = speakers
    return result
