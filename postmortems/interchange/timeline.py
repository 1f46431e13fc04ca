"""Read timeline text (pasted chat logs, bullet lists, Markdown tables) into timeline events.

A plain function, shared by the editor's paste box and the Markdown importer:

    parse_timeline(text, default_date=date(2024, 3, 1), tz=ZoneInfo("Europe/Oslo"))

What it reads, line by line:
- a time with an optional date and time zone at the start of the line, optionally in a bullet
  (`- `, `* `, `1. `) and wrapped in `**…**`, `[…]`, `(…)` or backticks, then a separator
  (`-`, `–`, `—`, `:`, `|`) and the text: `2024-03-01 14:05 UTC Pager fired`,
  `- **16:58 UTC** - rolled back`, `[14:05] <alice> restarting`, `2:05 PM: posted status page`;
- Markdown tables with a time column (`| Time | Event |`), an optional separate date column, and
  optional kind and evidence columns; the time zone may be named in the header (`Time (UTC)`);
- lines that set the context: `All times in CET.` (the time zone of the lines that follow) and a
  line holding only a date, such as `### 2024-03-02` (the date of the time-only lines that follow).

Decisions:
- Times are read in `tz` unless the line, the table header or a preceding "All times in …" line
  names a zone. Zone abbreviations are read as fixed offsets (CET is +01:00, CEST +02:00) and only
  unambiguous ones are known: CST and IST, for example, mean different places and are not read.
- A line with a time but no date takes the date of the line before it, or `default_date`.
  A time more than an hour earlier than the line before is read as the next day (midnight
  rollover); a smaller step back is kept on the same day, as a line written out of order.
- Chat nicks (`<alice>`, and `alice:` after a bracketed time as in `[14:05] alice: text`) are
  dropped from the text: timeline events have no person field and people appear by role, so the
  writer names the role where it matters.
- Lines without a time of day (`2024-03-13 14:??`, a date alone) are not guessed: they are
  returned as unparsed, and the importer keeps them as the section's text.
- The kind is a guess from the words used ("alert", "paged" → detection; "rolled back",
  "mitigated" → mitigation; "resolved" → resolution; "status page" → communication; "escalated"
  → escalation); a table's Kind column wins when it holds a known kind.

Over 500 lines on purpose: it is one grammar (times, dates, zones, ranges, day/month settling and
the line shapes that carry them), and its parts only make sense together; the chat formats that
feed it live in chat.py.
"""

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postmortems.interchange.chat import (
    event_text,
    looks_like_slack_copy,
    parse_slack_copy,
    placeholder,
    replace_names,
)
from postmortems.interchange.reader import read_outline

ROLLOVER_TOLERANCE = timedelta(hours=1)

# Unambiguous abbreviations only, as fixed offsets in minutes.
ZONE_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "MET": 60, "CEST": 120,
    "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "EST": -300, "EDT": -240, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "JST": 540, "KST": 540, "SGT": 480, "HKT": 480, "AWST": 480, "ACST": 570, "ACDT": 630,
    "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}
# What a statement of the zone ("All times PST", "Amsterdam local time (CEST)", "Timeline (all times
# US/Pacific)") means: the named zone, so daylight saving time applies as it was on each day. A city
# or region named beside an abbreviation wins ("Sydney time (AEDT)" is Australia/Sydney).
NAMED_ZONES = {
    "UTC": "UTC", "GMT": "UTC", "Z": "UTC", "ZULU": "UTC",
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PT": "America/Los_Angeles",
    "PACIFIC": "America/Los_Angeles", "US/PACIFIC": "America/Los_Angeles",
    "MST": "America/Denver", "MDT": "America/Denver", "MT": "America/Denver", "MOUNTAIN": "America/Denver",
    "US/MOUNTAIN": "America/Denver",
    "CDT": "America/Chicago", "CT": "America/Chicago", "CENTRAL": "America/Chicago", "US/CENTRAL": "America/Chicago",
    "EST": "America/New_York", "EDT": "America/New_York", "ET": "America/New_York", "EASTERN": "America/New_York",
    "US/EASTERN": "America/New_York", "AKST": "America/Anchorage", "AKDT": "America/Anchorage",
    "HST": "Pacific/Honolulu", "BST": "Europe/London", "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon",
    "CET": "Europe/Berlin", "CEST": "Europe/Berlin", "MET": "Europe/Berlin", "MEST": "Europe/Berlin",
    "EET": "Europe/Helsinki", "EEST": "Europe/Helsinki", "MSK": "Europe/Moscow", "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul", "SGT": "Asia/Singapore", "HKT": "Asia/Hong_Kong", "AWST": "Australia/Perth",
    "ACST": "Australia/Adelaide", "ACDT": "Australia/Adelaide", "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney", "NZST": "Pacific/Auckland", "NZDT": "Pacific/Auckland",
}
PLACE_ZONES = {
    "uk": "Europe/London", "london": "Europe/London", "british": "Europe/London", "irish": "Europe/Dublin",
    "dublin": "Europe/Dublin", "berlin": "Europe/Berlin", "frankfurt": "Europe/Berlin", "german": "Europe/Berlin",
    "amsterdam": "Europe/Amsterdam", "dutch": "Europe/Amsterdam", "paris": "Europe/Paris", "madrid": "Europe/Madrid",
    "oslo": "Europe/Oslo", "stockholm": "Europe/Stockholm", "copenhagen": "Europe/Copenhagen",
    "vienna": "Europe/Vienna", "zurich": "Europe/Zurich", "helsinki": "Europe/Helsinki",
    "sydney": "Australia/Sydney", "melbourne": "Australia/Melbourne", "new york": "America/New_York",
    "toronto": "America/Toronto", "chicago": "America/Chicago", "denver": "America/Denver",
    "los angeles": "America/Los_Angeles", "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "tokyo": "Asia/Tokyo", "singapore": "Asia/Singapore", "auckland": "Pacific/Auckland",
}
EVENT_KINDS = ("detection", "escalation", "action", "communication", "mitigation", "resolution", "observation")
MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}

_ABBR = "|".join(sorted((k for k in ZONE_ABBREVIATIONS if k != "Z"), key=len, reverse=True))
# Case-sensitive even inside case-insensitive patterns: "met" and "est" are words, MET and EST zones.
TZ_PATTERN = (
    # A bare offset follows a space, a bracket or a time with seconds: `09:14-09:40` is a range.
    rf"(?-i:(?:UTC|GMT)\s?[+-]\d{{1,2}}(?::?\d{{2}})?|(?:(?<=[\s(])|(?<=\d:\d\d:\d\d)|(?<=\.\d\d\d))"
    rf"[+-]\d{{2}}:?\d{{2}}|Z\b|(?:{_ABBR})\b)"
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE_PATTERN = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}-\d{1,2}-\d{4}|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}\.\d{1,2}\.\d{4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
# A day label without its year ("**Wednesday 1 March**", "Oct 15"): the year comes from the context.
DAY_PATTERN = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{_MONTH}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?)"
NUMERIC_DATE_RE = re.compile(r"(?<![\d/.-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?![\d/.-])")
AMERICAN_ZONES = {"America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
                  "America/Anchorage", "Pacific/Honolulu"}
_TIME = r"(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?)(?:\s?(?P<ampm>[aApP]\.?[mM]\.?)(?![a-z]))?"
_STAMP = (
    rf"(?:(?:\w+day,?\s+)?(?P<date>{DATE_PATTERN})(?:T|,?\s+|\s*[-@]\s*))?{_TIME}"
    rf"(?:\s?\(?(?P<tz>{TZ_PATTERN})\)?)?"
)
STAMP_RE = re.compile(_STAMP, re.IGNORECASE)
LINE_RE = re.compile(
    r"^\s*(?:(?:[-*+]|\d{1,3}[.)])\s+)?"  # bullet or number
    r"(?P<open>\*\*|__|\*|_|\[|\(|`)?\s*"
    + _STAMP
    # a range: `14:05–14:20`, `10:20 - 11:45`, `9:00 to 9:30 AM`
    + r"(?:\s*(?:[-–—]|to)\s*(?P<end>\d{1,2}:\d{2}(?::\d{2})?)(?:\s?(?P<endampm>[aApP]\.?[mM]\.?)(?![a-z]))?"
    r"(?:\s?(?P<endtz>" + TZ_PATTERN + r"))?)?"
    + r"\s*(?P<close>\*\*|__|\*|_|\]|\)|`)?"
    r"(?:\s*(?:\\?[-–—:|,])+\s*|\s+|$)(?P<rest>.*)$",
    re.IGNORECASE,
)
DATE_ONLY_RE = re.compile(
    rf"^\s*(?:#+\s*|[-*+]\s+)?(?:\*\*|__|\*|_)?\s*(?:\w+day,?\s+)?(?P<date>{DATE_PATTERN}|{DAY_PATTERN})"
    rf"\s*(?:\*\*|__|\*|_)?\s*:?\s*$",
    re.IGNORECASE,
)
ZONE_LINE_RE = re.compile(
    rf"^\s*(?:[-*+]\s+)?[*_]*\s*(?:all\s+)?(?:times?|timestamps?|time\s*zone)\b[^|]{{0,40}}?"
    rf"(?:\bin\b|\bare\b|:)\s*\(?(?P<tz>{TZ_PATTERN})\)?\s*[*_]*\s*\.?\s*$",
    re.IGNORECASE,
)
SEPARATOR_ROW_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
# After a bracketed time, as chat logs write it: `[14:05] alice: text`, `[14:05] @bob: text`.
HANDLE_RE = re.compile(r"^@?[\w.\-]{1,32}:\s+")
NICK_RE = re.compile(r"^<(?!(?:br|hr|p|b|i|em|strong|code|kbd|s|u|sub|sup|mark)\s*/?>)[^<>\s]{1,40}>\s*", re.I)
FULL_NAME_RE = re.compile(r"^([A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){1,3}):\s+")
URL_RE = re.compile(r"https?://[^\s<>()\]]+")

KIND_RULES = [
    ("resolution", r"\bresolved\b|\bresolution\b|\ball[- ]clear\b|\bincident (?:closed|over|ended)\b|"
                   r"\bclosed the incident\b|\bfully recovered\b|\bback to normal\b|"
                   r"\b(?:verified|confirmed|fully|service|systems?) (?:\w+ )?operational\b|"
                   r"\bservice (?:restored|recovered)\b|\bno further (?:action|impact)\b"),
    ("mitigation", r"\broll(?:ed|ing)?[ -]?back\b|\brollbacks?\b|\brevert(?:ed|ing)?\b|\bmitigat\w*|"
                   r"\bfail(?:ed|ing)?[ -]?over\b|\brestart(?:ed|ing)?\b|\bdowngrad\w*|\bworkaround\b|"
                   r"\bhotfix\w*|\bdrain(?:ed|ing)?\b|\bterminated\b|\bkilled\b|\brestored\b|"
                   r"\bfix(?:es)? (?:deployed|applied|released)\b|\bblocked\b|\bdisabled\b"),
    ("communication", r"\bstatus ?page\b|statuspage|\bposted\b|\bannounc\w*|\bnotif(?:y|ied|ication)\b|"
                      r"\binformed\b|\be-?mail(?:ed)?\b|\bmail sent\b|\bcommunicat\w*|"
                      r"\bupdates? (?:sent|posted|given)\b|\btweet\w*|\bcustomers? (?:told|updated)\b"),
    ("escalation", r"\bescalat\w*|\bincident (?:declared|opened)\b|\bdeclared\b|\bsev ?[12]\b|"
                   r"\bincident commander\b|\bwar ?room\b|\bjoined\b|\bcalled in\b|\bassigned\b"),
    ("detection", r"\balert\w*|\bpage[rd]?\b|\bpaging\b|\bdetect\w*|\bnoticed?\b|\bdiscovered\b|"
                  r"\breport(?:s|ed)?\b|\bobserved?\b|\bfired\b|\bwarnings?\b|\bspotted\b|\bbecame aware\b"),
    ("action", r"\bstart(?:ed|ing)?\b|\bbegan\b|\bbegin\b|\binvestigat\w*|\bdeploy\w*|\bran\b|\bapplied\b|"
               r"\battempt\w*|\bmanually\b|\bdeleted\b|\bremoved\b|\bcreated\b|\bupgrad\w*|\bscal(?:ed|ing)\b|"
               r"\bchanged\b|\bmerged\b|\bexecuted\b|\btriggered\b|\bcordoned\b|\bpatched\b"),
]
_KIND_RES = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in KIND_RULES]


@dataclass(frozen=True)
class ParsedEvent:
    occurred_at: datetime  # aware, in UTC
    description: str
    kind_guess: str
    evidence_url: str = ""


@dataclass
class ParseResult:
    events: list[ParsedEvent] = field(default_factory=list)
    unparsed_lines: list[str] = field(default_factory=list)
    # The input without what became events (tables keep their header), for the importer to keep as text.
    remainder: str = ""
    # Chat speakers: name → placeholder ("Responder A") used in the events' text, for the rename step.
    speakers: dict[str, str] = field(default_factory=dict)


def guess_kind(text: str) -> str:
    """Return the event kind the words of `text` suggest (observation when nothing does)."""
    for kind, pattern in _KIND_RES:
        if pattern.search(text):
            return kind
    return "observation"


def parse_zone(token: str | None) -> tzinfo | None:
    """Return the fixed-offset zone for `UTC`, `CET`, `+02:00`, `GMT-5` …, or None."""
    if not token:
        return None
    token = token.strip().upper()
    if token in ZONE_ABBREVIATIONS:
        return dt_timezone(timedelta(minutes=ZONE_ABBREVIATIONS[token]))
    match = re.fullmatch(r"(?:UTC|GMT)?\s?([+-])(\d{1,2}):?(\d{2})?", token)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        return None
    return dt_timezone(-offset if sign == "-" else offset)


_IANA_RE = re.compile(r"\b(?:[A-Z][a-z]+(?:_[A-Z][a-z]+)*/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?|US/[A-Z][a-z]+)\b")
_PLACE_RE = re.compile(r"\b(" + "|".join(sorted(PLACE_ZONES, key=len, reverse=True)) + r")\b(?:[- ]local)?[- ]time\b",
                       re.I)
_NAMED_RE = re.compile(r"(?-i:\b(" + "|".join(sorted((k for k in NAMED_ZONES if "/" not in k and len(k) > 1),
                                                    key=len, reverse=True)) + r")\b)|\b(Pacific|Mountain|Central|"
                       r"Eastern)\b(?! (?:Europe|Asia|Africa|Time Zone of))", re.I)
_OFFSET_STATEMENT_RE = re.compile(r"(?:UTC|GMT)\s?[+-]\d{1,2}(?::?\d{2})?")
_LINE_ZONE_RE = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?\s?(?:[ap]\.?m\.?)?\s?(?-i:(UTC|GMT|[A-Z]{2,3}T))\b",
                           re.I)
_STATEMENT_RE = re.compile(r"\btimes?(?:tamps?)?\b|\btime\s*zone\b|\bclocks?\b", re.I)


def named_zone(name: str) -> tzinfo | None:
    """Return the zone a stated name means (`PST`, `Eastern`, `Europe/Oslo`, `+02:00`), DST-aware where named."""
    key = name.strip().upper()
    iana = NAMED_ZONES.get(key)
    if iana is None and "/" in name:
        iana = name.strip()
    if iana:
        try:
            return ZoneInfo(iana)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return parse_zone(name) if key not in ("CST", "IST") else None


def stated_zone(text: str) -> tuple[str, tzinfo] | None:
    """Return (what is stated, zone) when `text` states the time zone its times are in, else None.

    Reads "All times PST", "Times are UK local time (BST)", "Timeline (all times US/Pacific)",
    "Times below are Sydney time (AEDT)", "*All times Eastern*", "in Europe/Oslo time".
    """
    if not _STATEMENT_RE.search(text):
        return None
    found = []  # (position, stated, zone): the zone named first wins ("UTC first and New York time in brackets")
    for match in _PLACE_RE.finditer(text):
        found.append((match.start(), match.group(0), ZoneInfo(PLACE_ZONES[match.group(1).lower()])))
    for pattern in (_IANA_RE, _NAMED_RE, _OFFSET_STATEMENT_RE):
        for match in pattern.finditer(text):
            zone = named_zone(match.group(0))
            if zone is not None:
                found.append((match.start(), match.group(0), zone))
    if not found:
        return None
    position, stated, zone = min(found, key=lambda item: item[0])
    # "Sydney time (AEDT)": the place and its abbreviation name one zone; the place says it better.
    return stated, zone


def zone_of_lines(text: str) -> tuple[str, tzinfo] | None:
    """Return the zone most timeline lines of `text` name after their time (`14:05 UTC`), if any."""
    counts: dict[str, int] = {}
    for match in _LINE_ZONE_RE.finditer(text):
        counts[match.group(1).upper()] = counts.get(match.group(1).upper(), 0) + 1
    if not counts:
        return None
    token = max(counts, key=counts.get)
    zone = named_zone(token)
    return (token, zone) if zone else None


def parse_date(text: str, *, day_first: bool | None = None, year: int | None = None) -> date | None:
    """Return the date written as `2024-03-01`, `2024/03/01`, `1 March 2024` or `March 1, 2024`."""
    text = text.strip().rstrip(",.")
    try:
        match = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text)
        if match:
            return date(*map(int, match.groups()))
        match = re.fullmatch(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})", text)
        if match:
            first, second, year_ = int(match.group(1)), int(match.group(3)), int(match.group(4))
            if first > 12 or (second <= 12 and day_first):
                return date(year_, second, first)
            return date(year_, first, second)
        if year is not None:
            match = re.fullmatch(r"(?:\w+day,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]+)\.?", text, re.I)
            if match and match.group(2).lower() in MONTHS:
                return date(year, MONTHS[match.group(2).lower()], int(match.group(1)))
            match = re.fullmatch(r"(?:\w+day,?\s+)?([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?", text, re.I)
            if match and match.group(1).lower() in MONTHS:
                return date(year, MONTHS[match.group(1).lower()], int(match.group(2)))
        text = re.sub(r"^\w+day,?\s+", "", text, flags=re.I)
        match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]+)\.?,?\s+(\d{4})", text, re.I)
        if match and match.group(2).lower() in MONTHS:
            return date(int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1)))
        match = re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", text, re.I)
        if match and match.group(1).lower() in MONTHS:
            return date(int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2)))
    except ValueError:
        return None
    return None


def find_date(text: str, *, day_first: bool | None = None) -> date | None:
    """Return the first date written anywhere in `text` (a title or a file name), or None."""
    for match in re.finditer(DATE_PATTERN, text, re.IGNORECASE):
        found = parse_date(match.group(0), day_first=day_first)
        if found:
            return found
    match = re.search(r"(?<!\d)(\d{2})_(\d{2})_(\d{4})(?!\d)", text)  # a file name's MM_DD_YYYY
    if match:
        found = parse_date("/".join(match.groups()), day_first=day_first)
        if found:
            return found
    match = re.search(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)", text)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError:
            return None
    return None


def numeric_date_order(text: str, tz: tzinfo | None = None) -> bool | None:
    """Return whether the numeric dates of `text` (`03/04/2024`) put the day first, as its lines settle it.

    A first number over 12 means day first, a second number over 12 month first; when every date
    could be read both ways, the reading that keeps the dates closest together wins (a run of
    11-02, 11-03, 11-04 is three days in November, not three months), then the zone's custom.
    None when `text` holds no numeric date.
    """
    pairs = [(int(m.group(1)), int(m.group(3)), int(m.group(4))) for m in NUMERIC_DATE_RE.finditer(text)]
    if not pairs:
        return None
    if any(first > 12 for first, _, _ in pairs):
        return True
    if any(second > 12 for _, second, _ in pairs):
        return False

    def span(day_first: bool) -> int:
        try:
            days = [date(y, b, a) if day_first else date(y, a, b) for a, b, y in pairs]
        except ValueError:
            return 10**9
        return (max(days) - min(days)).days

    month_first_span, day_first_span = span(False), span(True)
    if month_first_span != day_first_span:
        return day_first_span < month_first_span
    return str(getattr(tz, "key", "")) not in AMERICAN_ZONES


def _time_of_day(raw: str, ampm: str | None) -> time | None:
    parts = re.split(r"[:.,]", raw)
    hour, minute = int(parts[0]), int(parts[1])
    second = int(parts[2]) if len(parts) > 2 else 0
    micro = int(parts[3].ljust(6, "0")) if len(parts) > 3 else 0
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second, micro)


def _clean_description(text: str, *, chat: bool = False) -> str:
    text = NICK_RE.sub("", text.strip())
    if chat:
        text = HANDLE_RE.sub("", text)
    return text.strip()


class _Reader:
    """State of one parse: the current date, zone and the last event's time (for rollover)."""

    def __init__(self, default_date: date | None, tz: tzinfo, day_first: bool | None = None):
        self.day_first = day_first
        self.current_date = default_date
        self.default_zone = tz
        self.zone = tz
        self.last: datetime | None = None
        self.result = ParseResult()
        self.remainder: list[str] = []

    def stamp(self, match, zone: tzinfo | None = None) -> datetime | None:
        """Return the aware time a STAMP match names, moving the current date along."""
        clock = _time_of_day(match.group("time"), match.group("ampm"))
        if clock is None:
            return None
        zone = parse_zone(match.group("tz")) or zone or self.zone
        if match.group("date"):
            day = parse_date(match.group("date"), day_first=self.day_first)
            if day is None:
                return None
            self.current_date = day
            return _in_utc_range(datetime.combine(day, clock, tzinfo=zone))
        if self.current_date is None:
            return None
        when = datetime.combine(self.current_date, clock, tzinfo=zone)
        try:
            if self.last is not None and when < self.last - ROLLOVER_TOLERANCE:
                self.current_date += timedelta(days=1)
                when += timedelta(days=1)
        except OverflowError:  # the edge of year 9999
            return None
        return _in_utc_range(when)

    def speaker(self, description: str) -> str:
        """Return a chat line's text with its speaker's full name ("Sam Rivera: …") as a placeholder."""
        named = FULL_NAME_RE.match(description)
        if not named:
            return replace_names(description, self.result.speakers) if self.result.speakers else description
        name = named.group(1)
        if name not in self.result.speakers:
            self.result.speakers[name] = placeholder(len(self.result.speakers))
        return f"{self.result.speakers[name]}: {replace_names(description[named.end():], self.result.speakers)}"

    def add(self, when: datetime, description: str, kind: str | None = None, evidence_url: str = "") -> None:
        self.last = when
        kind = kind if kind in EVENT_KINDS else guess_kind(description)
        self.result.events.append(
            ParsedEvent(occurred_at=when.astimezone(UTC), description=description, kind_guess=kind,
                        evidence_url=evidence_url)
        )

    def unparsed(self, line: str) -> None:
        self.result.unparsed_lines.append(line)
        self.remainder.append(line)

    def line(self, line: str) -> bool:
        """Read one line outside a table; return whether it became an event."""
        if not line.strip():
            self.remainder.append(line)
            return False
        zone_line = ZONE_LINE_RE.match(line)
        if zone_line and parse_zone(zone_line.group("tz")):
            self.zone = named_zone(zone_line.group("tz")) or parse_zone(zone_line.group("tz"))
            return False
        date_line = DATE_ONLY_RE.match(line)
        if date_line:
            year = self.current_date.year if self.current_date else None
            day = parse_date(date_line.group("date"), day_first=self.day_first, year=year)
            if day:
                self.current_date = day
                self.last = None
                return False
        match = LINE_RE.match(line)
        if match:
            when = self.stamp(match)
            description = _clean_description(match.group("rest"), chat=match.group("open") == "[")
            if match.group("open") == "[":
                description = self.speaker(description)
            if when is not None and description:
                if match.group("end"):
                    end = " ".join(p for p in (match.group("end"), match.group("endampm"), match.group("endtz")) if p)
                    description = f"{description} (until {end})"
                self.add(when, description)
                return True
        statement = stated_zone(line) if len(line) < 160 and not LINE_RE.match(line) else None
        if statement:
            self.zone = statement[1]
        self.unparsed(line)
        return False

    def continuation(self, line: str) -> None:
        """Append an indented line to the event before it (a wrapped bullet)."""
        event = self.result.events[-1]
        self.result.events[-1] = ParsedEvent(
            occurred_at=event.occurred_at, description=f"{event.description}\n{line.strip()}",
            kind_guess=event.kind_guess, evidence_url=event.evidence_url,
        )


def _in_utc_range(when: datetime) -> datetime | None:
    """Return `when`, or None when UTC cannot hold it (the first hours of year 1, the last of 9999)."""
    try:
        when.astimezone(UTC)
    except OverflowError:
        return None
    return when


def split_row(line: str) -> list[str]:
    """Return the cells of a Markdown table row (pipes escaped as `\\|` stay in the cell)."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", text)]


def cell_text(cell: str) -> str:
    """Return the text of a table cell: `<br>` as a line break, escapes and entities undone."""
    cell = re.sub(r"<br\s*/?>", "\n", cell, flags=re.IGNORECASE)
    cell = cell.replace("\\|", "|")
    return html.unescape(cell).strip()


def evidence_url(text: str) -> str:
    """Return the link a cell holds: a bare URL, `<URL>` or `[text](URL)`; else the first URL in it."""
    whole = re.fullmatch(r"<?(https?://\S+?)>?", text.strip())
    if whole:
        return whole.group(1)
    link = re.search(r"\]\((https?://[^\s)]+)\)", text)
    if link:
        return link.group(1)
    found = URL_RE.search(text)
    return found.group(0) if found else ""


def _columns(header: list[str]) -> dict:
    names = [re.sub(r"[*_`]", "", h).strip().lower() for h in header]
    roles: dict = {"time": None, "date": None, "kind": None, "evidence": None, "description": None}
    for index, name in enumerate(names):
        if roles["time"] is None and re.search(r"\b(time|when|timestamp|hour)s?\b", name):
            roles["time"] = index
        elif roles["date"] is None and re.search(r"\b(date|day)\b", name):
            roles["date"] = index
        elif roles["kind"] is None and name in ("kind", "type"):
            roles["kind"] = index
        elif roles["evidence"] is None and re.search(r"\b(evidence|links?|source|reference)\b", name):
            roles["evidence"] = index
    if roles["time"] is None:
        roles["time"], roles["date"] = (roles["date"], None) if roles["date"] is not None else (0, None)
    taken = {v for v in roles.values() if v is not None}
    for index, name in enumerate(names):
        if index not in taken and re.search(r"event|description|what|detail|action|summary|note|happen", name):
            roles["description"] = index
            break
    if roles["description"] is None:
        roles["description"] = next((i for i in range(len(names)) if i not in taken), None)
    roles["others"] = [i for i in range(len(names)) if i not in taken and i != roles["description"]]
    zone = None
    for h in header:
        found = re.search(TZ_PATTERN, h)
        if found and parse_zone(found.group(0)):
            zone = parse_zone(found.group(0))
            break
    roles["zone"] = zone
    return roles


def _table(reader: _Reader, lines: list[str]) -> None:
    """Read one Markdown table: a header row, a separator row, then one event per row."""
    header, body = lines[0], lines[2:]
    roles = _columns(split_row(header))
    table_remainder: list[str] = []
    for line in body:
        cells = split_row(line)

        def get(i, cells=cells):
            return cells[i] if i is not None and i < len(cells) else ""

        stamp_text = " ".join(part for part in (get(roles["date"]), get(roles["time"])) if part)
        stamp_text = re.sub(r"[*_`]", "", stamp_text).strip()
        match = STAMP_RE.fullmatch(stamp_text)
        when = reader.stamp(match, roles["zone"]) if match else None
        parts = [cell_text(get(roles["description"]))] + [cell_text(get(i)) for i in roles["others"]]
        description = " — ".join(p for p in parts if p).strip()
        if when is None or not description:
            reader.result.unparsed_lines.append(line)
            table_remainder.append(line)
            continue
        reader.add(when, description, kind=cell_text(get(roles["kind"])).lower(),
                   evidence_url=evidence_url(cell_text(get(roles["evidence"]))))
    if table_remainder:
        reader.remainder.extend([lines[0], lines[1], *table_remainder])


def parse_timeline(text: str, *, default_date: date | None, tz: tzinfo = UTC,
                   day_first: bool | None = None) -> ParseResult:
    """Return the events `text` describes and the lines it could not read.

    `default_date` dates the lines that carry a time only; `tz` is the zone of lines that name none;
    `day_first` settles `03/04/2024` (None: the numeric dates of `text` settle it).
    """
    if looks_like_slack_copy(text):
        return _chat_copy(text, default_date=default_date, tz=tz)
    if day_first is None:
        day_first = numeric_date_order(text, tz)
    reader = _Reader(default_date, tz, day_first)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    # Code and HTML comments, as the shared Markdown reader finds them, are never timeline lines.
    opaque = read_outline(text).opaque_lines() if text.strip() else set()
    index, last_was_event = 0, False
    while index < len(lines):
        line = lines[index]
        if index + 1 in opaque:
            if line.strip():
                reader.unparsed(line)
            else:
                reader.remainder.append(line)
            index += 1
            continue
        is_table = (
            "|" in line and index + 1 < len(lines) and "|" in lines[index + 1]
            and SEPARATOR_ROW_RE.match(lines[index + 1])
        )
        if is_table:
            end = index + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            _table(reader, lines[index:end])
            index, last_was_event = end, False
            continue
        if last_was_event and line[:1] in (" ", "\t") and line.strip() and not LINE_RE.match(line):
            reader.continuation(line)
        else:
            last_was_event = reader.line(line)
        index += 1
    reader.result.remainder = "\n".join(reader.remainder).strip("\n")
    return reader.result


def _chat_copy(text: str, *, default_date: date | None, tz: tzinfo) -> ParseResult:
    """Return the events of a Slack copy: one per message, the speaker as a placeholder."""
    chat = parse_slack_copy(text, default_date=default_date, tz=tz)
    result = ParseResult(unparsed_lines=list(chat.unparsed_lines), speakers=chat.speakers)
    for message in chat.messages:
        if message.at is None or _in_utc_range(message.at) is None:
            result.unparsed_lines.append(f"{message.who}  {message.clock:%H:%M}")
            continue
        description = event_text(message, chat.speakers)
        result.events.append(ParsedEvent(occurred_at=message.at.astimezone(UTC), description=description,
                                         kind_guess=guess_kind(message.text), evidence_url=""))
    result.remainder = "\n".join(result.unparsed_lines)
    return result
