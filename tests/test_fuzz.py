"""No request gets a server error: every URL pattern and every form, with hostile values, as each role.

How it walks:
1. Every pattern in the URL conf (the admin's included) becomes a path, its parameters resolved to
   real objects of a small world built here (a draft and a published write-up with every part,
   tags, a reading list, a link, a finding...).
2. As a facilitator (who reaches every page), each path is fetched and its HTML read like a browser
   would: every <form> gives a target with its method and fields (formsets included), every link
   with a query string gives the query parameters its page reads.
3. Each role (anonymous, reader, author, facilitator) sends every target a fixed sweep of hostile
   values in every field at once (NUL characters, non-ASCII digits, 10,000 characters, huge and
   negative numbers, dates in years 1 and 9999, lists where one value is expected, extra and
   impossible formset rows, hostile values in path parameters), then hypothesis mixes values and
   fields at random (derandomized: the same examples on every run).
4. Any 5xx, or an exception out of a view, is collected; the test fails listing them.

It is bounded to stay within about a minute per database engine (`make test` runs it on both).
"""

import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from knowledge.models import ReadingList, ReadingListItem, RelatedLink
from knowledge.search import index_postmortem
from postmortems import services
from postmortems.models import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    LanguageFinding,
    PostMortem,
    Section,
    Status,
    Team,
    Template,
    TimelineEvent,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
LONG = "x" * 10_000
HUGE = "9" * 30
NEGATIVE = "-99999999999999999999"
# Every field of a request gets the same value in one sweep request (and a list in the last two).
SWEEP = [NUL, "²", LONG, NEGATIVE, "0001-01-01T00:00", "9999-12-31T23:59", "9999-12", ["1", "١", NUL]]
# Where the view code is the same for every role (and in Django's admin), fewer values tell as much.
SHORT_SWEEP = [NUL, "²", LONG, ["1", "١", NUL]]
# One query parameter at a time (the others as the page offered them).
EACH_SWEEP = [NUL, "²", "9999-12", ["0001-01-01", NEGATIVE]]
HOSTILE = [NUL, "\x00", "²", "٣", "𝟙", LONG, HUGE, NEGATIVE, "-1", "0", "1e309", "NaN", "0001-01-01", "9999-12-31",
           "0001-01-01T00:00", "9999-12-31T23:59", "9999-12", "0000-00", "2024-13", "true", "[]", "{}", "",
           " ", "%00", "../../etc/passwd", "<script>x</script>", "' OR 1=1 --", "\u202egnp.exe", "é" * 300]
# Extra formset rows: one or a few more than the page sent, and impossible counts. (A count in the millions
# makes Django build 2,000 blank forms per formset and the editor render them all: minutes, not a 500.)
FORMSET_TOTALS = ["+1", "-1", "²"]
# Requests that would end the session or delete the world under test.
NOT_POSTED = ("/accounts/logout/", "/admin/logout/", "/delete/")
ROLES = ["anonymous", "reader", "author", "facilitator"]
FUZZ_EXAMPLES = {"anonymous": 10, "reader": 25, "author": 25, "facilitator": 60}
JSON_BODIES = [
    {}, [], "text", 5, None, {"texts": "x"}, {"texts": [1, None, "x"]}, {"texts": [{}]},
    {"texts": [{"location": ["x"], "kind": {}, "text": 5}]},
    {"texts": [{"location": "summary", "kind": "summary", "text": NUL, "ref": {"a": 1}}], "postmortem": NUL},
    {"texts": [{"location": "summary", "kind": "summary", "text": LONG}], "postmortem": ["x"]},
    {"texts": [{"location": "action:1", "kind": "action_item", "text": "Fix it", "priority": "high",
                "status": ["open"], "has_owner": "²"}] * 3, "postmortem": 10**30},
    {"text": NUL}, {"text": ["14:05 x"]}, {"text": "0001-01-01 00:00 Paged\n9999-12-31 23:59 Fixed\n25:99 x"},
]


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    fields: tuple  # ((name, (value, ...)), ...) as the page's form or links offered them
    json: bool = False

    def data(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.fields}


# ---- the world ----------------------------------------------------------------------------------------


@pytest.fixture
def world(db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "preview": 10**6, "coach": 10**6, "timeline_paste": 10**6,
                            "api": 10**6}
    users = {
        "reader": make_user("rita", "Readers", first_name="Rita"),
        "author": make_user("arthur", "Authors", first_name="Arthur"),
        "facilitator": make_user("fiona", "Facilitators", staff=True, first_name="Fiona"),
    }
    victim = make_user("victor", "Authors")  # the user the admin's user pages edit, so no role loses its rights
    spare_group = Group.objects.create(name="Spare")
    team = Team.objects.create(name="Payments", slug="payments")
    category = FactorCategory.objects.order_by("position").first()
    start = datetime(2024, 3, 1, 14, 0, tzinfo=UTC)
    lightweight = Template.objects.get(slug="lightweight")
    draft = services.postmortem_create(user=users["author"], template=lightweight, title="Checkout latency",
                                       severity="sev2", started_at=start)
    published = services.postmortem_create(user=users["author"], template=lightweight, title="Queue backlog",
                                           severity="sev3", started_at=start - timedelta(days=30))
    for pm in (draft, published):
        pm.teams.add(team)
        pm.tags.add("queues")
        Section.objects.filter(postmortem=pm).update(body="The **queue** backed up; someone carelessly restarted it.")
        TimelineEvent.objects.create(postmortem=pm, occurred_at=start, kind="detection", description="Paged")
        ContributingFactor.objects.create(postmortem=pm, category=category, description="No alert on depth")
        ActionItem.objects.create(postmortem=pm, title="Alert on queue depth", owner=users["author"],
                                  due_date=date(2024, 4, 1))
        services.postmortem_record_change(postmortem=pm, user=users["author"])
    PostMortem.objects.filter(pk=published.pk).update(status=Status.PUBLISHED, published_at=start)
    published.refresh_from_db()
    index_postmortem(published)
    link = RelatedLink.objects.create(source=draft, target=published, note="same queue")
    reading_list = ReadingList.objects.create(title="Start here", slug="start-here")
    item = ReadingListItem.objects.create(reading_list=reading_list, postmortem=published, note="First")
    if not LanguageFinding.objects.exists():
        LanguageFinding.objects.create(postmortem=draft, rule_slug="careless", category="blame",
                                       location="summary", text="carelessly")
    return {
        "users": users, "draft": draft, "published": published, "link": link, "reading_list": reading_list,
        "item": item, "victim": victim, "spare_group": spare_group, "team": team,
    }


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _admin_object(callback, world):
    model_admin = getattr(callback, "model_admin", None)
    model = model_admin.model if model_admin else User
    if model is User:
        return world["victim"].pk
    if model is Group:
        return world["spare_group"].pk
    if model is PostMortem:
        return world["published"].pk
    obj = model._default_manager.order_by("pk").first()
    return obj.pk if obj else 1


def concrete_paths(world) -> list[tuple[str, bool]]:
    """Return (path, has path parameters) for every URL pattern, parameters resolved to the world's objects."""
    import re

    values = {
        "slug": None, "pk": ActionItem.objects.filter(postmortem=world["published"]).first().pk,
        "item_id": world["item"].pk, "link_id": world["link"].pk, "id": world["victim"].pk,
        "content_type_id": ContentType.objects.get_for_model(PostMortem).pk, "app_label": "postmortems",
        "url": "no-such-page/", "path": "uploads/2024/01/none.png", "name": "uploads/2024/01/none.png",
        "token": "not-a-signed-token",
        "key": "no-such-hook",
    }
    paths = []
    for route, callback in _walk(get_resolver().url_patterns):
        route = route.replace("^", "").replace("$", "").replace("\\Z", "")
        if "(?P<app_label>" in route:
            route = re.sub(r"\(\?P<app_label>[^)]*\)", "<app_label>", route)
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if not names:
            paths.append(("/" + route, False))
            continue
        slugs = [None]
        if "slug" in names:
            if route.startswith("tags/"):
                slugs = ["queues"]
            elif route.startswith("reading-lists/"):
                slugs = [world["reading_list"].slug]
            elif route.startswith("insights/"):
                slugs = ["severity"]
            else:
                slugs = [world["published"].slug, world["draft"].slug]
        for slug in slugs:
            path = route
            for name in names:
                value = slug if name == "slug" else (
                    _admin_object(callback, world) if name == "object_id" else values[name])
                path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
            paths.append(("/" + path, True))
    return sorted(set(paths))


# ---- reading pages like a browser -------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collect every form (method, action, and the fields a browser would send) and every link's query."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form = None
        self._textarea = None
        self._select = None  # (name, multiple, chosen values, first value)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "?" in a.get("href", ""):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""),
                          "fields": defaultdict(list)}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[3] is None:
                self._select[3] = value
            if "selected" in a:
                self._select[2].append(value)
            return
        if not name or "__prefix__" in name:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("file", "image", "reset", "submit", "button"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].setdefault(name, [])  # known, not sent
                return
            self._form["fields"][name].append(a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "textarea":
            self._textarea = name
            self._form["fields"][name].append("")
        elif tag == "select":
            self._select = [name, "multiple" in a, [], None]

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            if self._textarea and self._form is not None and self._form["fields"][self._textarea][-1][:1] == "\n":
                self._form["fields"][self._textarea][-1] = self._form["fields"][self._textarea][-1][1:]
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, multiple, chosen, first = self._select
            if self._form is not None:
                values = chosen or ([] if multiple or first is None else [first])
                self._form["fields"][name].extend(values)
            self._select = None


def discover(client, paths) -> list[Target]:
    """Return a GET target per path (with the query parameters its forms and links use) and one per form."""
    query: dict[str, dict[str, str]] = defaultdict(dict)  # path -> parameter -> a value the page offers
    targets: dict[tuple, Target] = {}
    for path, _ in paths:
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode("utf-8", "replace"))
        for href in page.links:
            url = urlsplit(href)
            for name, value in parse_qsl(url.query, keep_blank_values=True):
                query[url.path or path].setdefault(name, value)
        for form in page.forms:
            url = urlsplit(form["action"])
            action = url.path or path
            fields = {name: tuple(values) for name, values in form["fields"].items() if name != "csrfmiddlewaretoken"}
            if form["method"] == "get":
                for name, values in fields.items():
                    query[action].setdefault(name, values[0] if values else "")
                continue
            if any(part in action for part in NOT_POSTED):
                continue
            key = ("POST", action, tuple(sorted(fields)))
            targets.setdefault(key, Target("POST", action, tuple(sorted(fields.items()))))
    for path, _ in paths:
        params = {**{name: "" for name in EXTRA_QUERY.get(_pattern_of(path), ())}, **query.get(path, {})}
        params = params or {"q": ""}
        targets[("GET", path)] = Target("GET", path, tuple((name, (value,)) for name, value in sorted(params.items())))
    targets[("JSON", "coach")] = Target("POST", "/coach/check/", (), json=True)
    for pm in PostMortem.objects.order_by("pk")[:2]:
        targets[("JSON", pm.slug)] = Target("POST", f"/postmortems/{pm.slug}/timeline/parse/", (), json=True)
    return list(targets.values())


# Query parameters that pages link to only when there is data to link (a month with incidents, a second
# revision), by the path with its slug taken out.
EXTRA_QUERY = {
    "/postmortems/*/history/": ["version"],
    "/insights/postmortems/": ["month", "status", "category", "measure", "action", "finding", "noteam"],
    "/coach/trends/": ["month", "category", "team"],
    "/similar/": ["title", "summary", "exclude"],
    "/tags/autocomplete/": ["q"],
    "/feeds/published/": ["token"],
}


def _pattern_of(path: str) -> str:
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "postmortems":
        parts[2] = "*"
    return "/".join(parts)


# ---- sending hostile requests --------------------------------------------------------------------------


def mutate_formsets(data: dict, change: str, prefixes=None) -> dict:
    """Return `data` with formsets' TOTAL_FORMS changed; rows added ("+n") are filled like the first row."""
    data = dict(data)
    for total in [name for name in data if name.endswith("-TOTAL_FORMS")]:
        prefix = total[: -len("-TOTAL_FORMS")]
        if prefixes is not None and prefix not in prefixes:
            continue
        current = int(data[total][0]) if data[total] and data[total][0].isdecimal() else 0
        if not change.startswith("+"):
            data[total] = [change]
            continue
        data[total] = [str(current + int(change[1:]))]
        first = {name[len(f"{prefix}-0-"):]: values for name, values in data.items() if name.startswith(f"{prefix}-0-")}
        for index in range(current, current + int(change[1:])):
            for field, values in first.items():
                if field not in ("id", "DELETE"):
                    data[f"{prefix}-{index}-{field}"] = [value or "Filled in" for value in values]
    return data


class Runner:
    """Send requests as one role; remember every 5xx and every exception out of a view."""

    def __init__(self, role, user):
        self.role = role
        self.client = Client(raise_request_exception=True)
        if user is not None:
            self.client.force_login(user)
        self.failures: list[str] = []
        self.sent = 0

    def send(self, target: Target, data, *, path: str | None = None):
        path = path or target.path
        self.sent += 1
        if isinstance(data, dict):
            data = _current_version(target, data)
        try:
            with transaction.atomic():  # a database error in one request must not poison the next
                if target.json:
                    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
                    response = self.client.post(path, body, content_type="application/json",
                                                HTTP_ACCEPT="application/json")
                elif target.method == "GET":
                    response = self.client.get(path, data)
                else:
                    response = self.client.post(path, data)
            status = response.status_code
        except Exception as error:  # noqa: BLE001 (every exception out of a view is the finding)
            response, status = None, f"{type(error).__name__}: {str(error)[:160]}"
        if not isinstance(status, int) or status >= 500:
            failure = f"{target.method} {path} {_summary(data)} -> {status}"
            self.failures.append(f"{self.role} {failure}")
        return response

    def sweep(self, target: Target, values=SWEEP, *, formsets: bool = True):
        """Send every field one hostile value at a time (all fields at once), then impossible formset counts."""
        base = target.data()
        if target.json:
            for body in JSON_BODIES:
                self.send(target, body)
            self.send(target, b"{not json")
            return
        for value in values:
            values = value if isinstance(value, list) else [value]
            self.send(target, {**{name: values for name in base}, "zz_unknown": values})
        for prefix in [name[: -len("-TOTAL_FORMS")] for name in base if formsets and name.endswith("-TOTAL_FORMS")]:
            for change in FORMSET_TOTALS:
                self.send(target, mutate_formsets(base, change, prefixes=[prefix]))

    def sweep_each(self, target: Target, values=SWEEP):
        """Send each query parameter each hostile value on its own.

        A view that refuses one bad filter first may never read the next, and values taken from
        different links of a page may not go together; the random phase mixes them.
        """
        for name in target.data():
            for value in values:
                self.send(target, {name: value if isinstance(value, list) else [value]})


def _current_version(target: Target, data: dict) -> dict:
    """Give a form the post-mortem's current version where it sends the one the page showed.

    Otherwise, after the first save, every later request to the editor is refused as stale before
    its rows are saved, and the fuzz would not reach them.
    """
    defaults = target.data()
    for name in ("version", "base_version"):
        if name in data and data[name] == defaults.get(name):
            match = re.match(r"^/postmortems/([^/]+)/|^/admin/postmortems/postmortem/(\d+)/", target.path)
            if match:
                lookup = {"slug": match.group(1)} if match.group(1) else {"pk": match.group(2)}
                version = PostMortem.objects.filter(**lookup).values_list("version", flat=True).first()
                if version is not None:
                    data = {**data, name: [str(version)]}
    return data


def _summary(data) -> str:
    text = json.dumps(data, ensure_ascii=True, default=str) if not isinstance(data, bytes) else repr(data)
    return text if len(text) < 200 else text[:200] + "…"


def hostile_paths(target: Target) -> list[str]:
    """Return the admin target's path with its object id replaced by hostile values.

    Elsewhere the URL's converters (slug, int) turn such paths away before any view; the admin's
    object ids are free-form `path` parameters that reach the view.
    """
    parts = target.path.strip("/").split("/")
    if target.method != "GET" or parts[0] != "admin" or len(parts) < 4 or not parts[3].isdecimal():
        return []
    return ["/" + "/".join([*parts[:3], quote(value), *parts[4:]]) + "/" for value in ("\x00", HUGE)]


value_strategy = st.one_of(
    st.sampled_from(HOSTILE).map(lambda v: [v]),
    st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=3),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40).map(lambda v: [v]),
    st.integers(min_value=-(10**20), max_value=10**20).map(lambda v: [str(v)]),
)


def fuzz_randomly(runner: Runner, targets: list[Target], examples: int):
    """Mix hostile values into a few fields of a target at a time, keeping the rest as the page offered them."""

    @hypothesis_settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data):
        target = data.draw(st.sampled_from(targets))
        if target.json:
            body = data.draw(st.recursive(
                st.none() | st.booleans() | st.integers() | st.sampled_from(HOSTILE),
                lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                    st.sampled_from(["texts", "location", "kind", "text", "ref", "postmortem", "priority"]),
                    inner, max_size=4),
                max_leaves=12,
            ))
            runner.send(target, body)
            return
        fields = target.data()
        names = sorted(fields) + ["zz_unknown"]
        for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
            fields[data.draw(st.sampled_from(names))] = data.draw(value_strategy)
        if data.draw(st.booleans()):
            fields = mutate_formsets(fields, data.draw(st.sampled_from(FORMSET_TOTALS)))
        runner.send(target, fields)

    run()


# ---- the test -------------------------------------------------------------------------------------------


def test_no_hostile_request_gets_a_server_error(world):
    started = time.perf_counter()
    paths = concrete_paths(world)
    facilitator = Client()
    facilitator.force_login(world["users"]["facilitator"])
    targets = discover(facilitator, paths)
    posts = [t for t in targets if t.method == "POST"]
    assert len(paths) > 100 and len(posts) > 30, (len(paths), len(posts))  # the walk found the site and the admin
    failures, sent = [], 0
    timings = [f"discovery {time.perf_counter() - started:.1f} s"]
    for role in ROLES:
        role_started = time.perf_counter()
        runner = Runner(role, world["users"].get(role))
        reachable = []
        for target in targets:
            if role != "facilitator" and (target.path.startswith("/admin/") or role == "anonymous"):
                response = runner.send(target, {name: [NUL] for name in target.data()})
                if response is not None and response.status_code == 302 and "/login/" in response["Location"]:
                    continue  # turned away before any view reads the request: one look is enough
            reachable.append(target)
            if role != "facilitator":
                runner.sweep(target, SHORT_SWEEP, formsets=False)  # the facilitator's sweep adds rows
            elif not target.path.startswith("/admin/"):
                if target.method == "GET":
                    runner.sweep_each(target, EACH_SWEEP)
                    runner.send(target, {**{name: [LONG] for name in target.data()}, "zz_unknown": [LONG]})
                else:
                    runner.sweep(target)
            elif target.method == "POST" or target.path.count("/") == 4:  # the admin's forms and change lists
                runner.sweep(target, SHORT_SWEEP)
            else:  # the admin's other pages: history, deletion, add and change pages read no query
                runner.send(target, {name: [NUL] for name in target.data()})
                if target.path.endswith("/change/"):
                    for path in hostile_paths(target):
                        runner.send(target, target.data(), path=path)
        fuzz_randomly(runner, reachable or targets, examples=FUZZ_EXAMPLES[role])
        failures += runner.failures
        sent += runner.sent
        timings.append(f"{role} {runner.sent} in {time.perf_counter() - role_started:.1f} s")
    elapsed = time.perf_counter() - started
    print(f"\nfuzz: {len(paths)} paths, {len(targets)} targets ({len(posts)} forms and JSON bodies), "
          f"{sent} requests in {elapsed:.1f} s ({'; '.join(timings)})")
    assert failures == [], f"{len(failures)} server errors:\n" + "\n".join(failures[:40])
