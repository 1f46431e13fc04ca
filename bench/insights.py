"""Benchmark the /insights/ page at 10,000 and 100,000 post-mortems.

Fills the database named by DATABASE_URL (or --sqlite FILE) with synthetic post-mortems (seeded;
incident times, teams, tags, contributing factors, action items and language findings, written
with bulk_create), first up to the smaller size, then up to the larger one, and at each size times
the whole page (a Django request through the test client) signed in as a facilitator (sees
everything) and as a reader (published, unrestricted only), printing the median of several
requests and the number of queries: computed (the library's version replaced first, as any save
does, so nothing is cached) and cached (the same page again).

    createdb -h 127.0.0.1 -U postgres hs_bench_insights
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_bench_insights .venv/bin/python bench/insights.py
    .venv/bin/python bench/insights.py --sqlite /tmp/hs_bench_insights.sqlite3

Synthetic shape: incidents spread over six years; 1–3 factors, 1–4 action items (most older ones
closed, recent ones still open), 0–3 language findings and three of 200 tags each; 5 % restricted,
15 % not yet published, 5 % without incident times. Target: under 300 ms at 100,000 on PostgreSQL.
A database that already holds benchmark post-mortems is grown, never refilled; use a fresh database
for a clean run.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _django import configure  # noqa: E402 (bench/ is the script's folder)

SEVERITIES = ["sev1", "sev2", "sev2", "sev3", "sev3", "sev3", "sev4"]
TEAMS = ["Payments", "Platform", "Checkout", "Data", "Identity", "Mobile", "Search", "Messaging",
         "Storage", "Network", "Billing", "Growth"]
FINDING_CATEGORIES = ["blame", "counterfactual", "minimising", "person_as_cause", "action_quality"]
YEARS = 6  # incidents spread over the last six years


def users():
    from django.contrib.auth.models import Group, User

    people = {}
    for username, group in (("bench-facilitator", "Facilitators"), ("bench-reader", "Readers")):
        user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": group == "Facilitators"})
        user.groups.add(Group.objects.get(name=group))
        people[group] = user
    authors = []
    for i in range(20):
        user, _ = User.objects.get_or_create(username=f"bench-author-{i}")
        user.groups.add(Group.objects.get(name="Authors"))
        authors.append(user)
    return people, authors


def fill(start: int, stop: int, seed: int) -> None:
    """Create benchmark post-mortems number `start` to `stop` - 1 (each batch seeded by its position)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils.text import slugify
    from taggit.models import Tag, TaggedItem

    from postmortems.models import (
        ActionItem,
        ContributingFactor,
        FactorCategory,
        LanguageFinding,
        PostMortem,
        Team,
    )

    print(f"filling post-mortems {start:,} to {stop:,} on {connection.vendor} …", flush=True)
    began = time.perf_counter()
    _, authors = users()
    teams = [Team.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in TEAMS]
    tag_names = [f"{kind}-{i}" for kind in ("service", "failure", "component", "theme") for i in range(50)]
    Tag.objects.bulk_create([Tag(name=t, slug=t) for t in tag_names], ignore_conflicts=True)
    tags = list(Tag.objects.filter(name__in=tag_names).values_list("pk", flat=True))
    categories = list(FactorCategory.objects.values_list("pk", flat=True))
    content_type = ContentType.objects.get_for_model(PostMortem)
    now = datetime.now(UTC).replace(microsecond=0)
    span = YEARS * 365 * 24 * 60
    batch = 2000
    for first in range(start, stop, batch):
        rng = random.Random(seed * 1_000_003 + first)
        with transaction.atomic():
            pms = []
            for i in range(first, min(stop, first + batch)):
                when = now - timedelta(minutes=rng.randrange(60, span))
                roll = rng.random()
                status = "published" if roll < 0.85 else "in_review" if roll < 0.93 else "draft"
                timed = rng.random() > 0.05
                detect = timedelta(minutes=rng.lognormvariate(2.3, 0.9))
                mitigate = detect + timedelta(minutes=rng.lognormvariate(3.4, 0.8))
                resolve = mitigate + timedelta(minutes=rng.lognormvariate(4.5, 1.0))
                pms.append(PostMortem(
                    title=f"Benchmark incident {i}", slug=f"bench-insights-{i}", status=status,
                    severity=rng.choice(SEVERITIES), restricted=rng.random() < 0.05,
                    started_at=when if timed else None,
                    detected_at=when + detect if timed else None,
                    mitigated_at=when + mitigate if timed and rng.random() < 0.7 else None,
                    resolved_at=when + resolve if timed and rng.random() < 0.9 else None,
                    published_at=when + timedelta(days=rng.randint(2, 20)) if status == "published" else None,
                ))
            PostMortem.objects.bulk_create(pms)
            if pms[0].pk is None:
                ids = dict(PostMortem.objects.filter(slug__in=[p.slug for p in pms]).values_list("slug", "pk"))
                for pm in pms:
                    pm.pk = ids[pm.slug]
            untimed = [p for p in pms if p.started_at is None]
            for pm in untimed:  # counted by when they were written, so spread those dates too
                pm.created_at = now - timedelta(minutes=rng.randrange(60, span))
            factors, actions, findings, tagged, team_links, author_links = [], [], [], [], [], []
            for pm in pms:
                when = pm.started_at or pm.created_at
                for _ in range(rng.randint(1, 3)):
                    factors.append(ContributingFactor(postmortem_id=pm.pk, category_id=rng.choice(categories),
                                                      description="A factor"))
                for _ in range(rng.randint(1, 4)):
                    created = min(when + timedelta(days=rng.uniform(0.5, 10)), now)
                    age = (now - created).days
                    # Old follow-ups are mostly closed; the recent ones are still being worked on.
                    p_closed = 0.35 if age < 30 else 0.6 if age < 180 else 0.85 if age < 365 else 0.95
                    if rng.random() < p_closed:
                        status = "wont_do" if rng.random() < 0.15 else "done"
                        closed = created + timedelta(days=rng.lognormvariate(2.5, 1.0))
                    else:
                        status, closed = rng.choice(("open", "open", "in_progress")), None
                    actions.append(ActionItem(
                        postmortem_id=pm.pk, title="Follow up", status=status, created_at=created,
                        completed_at=min(closed, now) if closed else None,
                        wont_do_reason="Superseded" if status == "wont_do" else "",
                        due_date=(created + timedelta(days=rng.randint(7, 90))).date(),
                    ))
                for _ in range(rng.choice((0, 0, 1, 2, 3))):
                    findings.append(LanguageFinding(
                        postmortem_id=pm.pk, rule_slug="bench", category=rng.choice(FINDING_CATEGORIES),
                        location="section:1", text="simply",
                        created_at=min(when + timedelta(days=rng.uniform(0, 5)), now),
                    ))
                for tag_id in rng.sample(tags, 3):
                    tagged.append(TaggedItem(content_type=content_type, object_id=pm.pk, tag_id=tag_id))
                for team in rng.sample(teams, 2 if rng.random() < 0.2 else 1):
                    team_links.append(PostMortem.teams.through(postmortem_id=pm.pk, team_id=team.pk))
                author_links.append(PostMortem.authors.through(postmortem_id=pm.pk, user_id=rng.choice(authors).pk))
            for model, rows in ((ContributingFactor, factors), (ActionItem, actions), (LanguageFinding, findings),
                                (TaggedItem, tagged), (PostMortem.teams.through, team_links),
                                (PostMortem.authors.through, author_links)):
                model.objects.bulk_create(rows, batch_size=1000)
            PostMortem.objects.bulk_update(untimed, ["created_at"], batch_size=500)
        done = min(stop, first + batch)
        if (done - start) % 20000 == 0 or done == stop:
            print(f"  {done:,} ({time.perf_counter() - began:.0f} s)", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(paths: list[str], rounds: int) -> list[tuple[str, str, float, float, int]]:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from postmortems.shared_cache import bump_library_version

    rows = []
    for role, username in (("facilitator", "bench-facilitator"), ("reader", "bench-reader")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for path in paths:
            assert client.get(path).status_code == 200  # warm connections
            times, cpu, warm = [], [], []
            for _ in range(rounds):
                bump_library_version()  # as after any save: the cached aggregates are recomputed
                t0, c0 = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert response.status_code == 200
                t0 = time.perf_counter()
                assert client.get(path).status_code == 200  # nothing changed since: served from the cache
                warm.append((time.perf_counter() - t0) * 1000)
            rows.append((role, path, statistics.median(times), statistics.median(cpu), len(ctx.captured_queries),
                         statistics.median(warm)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="archive sizes to measure, ascending")
    parser.add_argument("--seed", type=int, default=20240801)
    parser.add_argument("--rounds", type=int, default=7, help="requests per page and role (the median is shown)")
    parser.add_argument("--sqlite", help="use this SQLite file instead of DATABASE_URL")
    args = parser.parse_args()
    configure(args.sqlite)

    from django.core.management import call_command
    from django.db import connection

    from postmortems.models import PostMortem

    call_command("migrate", verbosity=0)
    users()
    paths = ["/insights/", "/insights/?period=90d", "/insights/?period=12m", "/insights/?period=all",
             "/insights/?team=platform&severity=sev2"]
    results = []
    for size in sorted(int(s) for s in args.sizes.split(",")):
        existing = PostMortem.objects.filter(slug__startswith="bench-insights-").count()
        if existing > size:
            sys.exit(f"The database holds {existing:,} benchmark post-mortems, more than {size:,}: use a fresh one.")
        if existing < size:
            fill(existing, size, args.seed)
        results.append((size, measure(paths, args.rounds)))
    print()
    print(f"/insights/ on {connection.vendor}, median of {args.rounds} requests (whole request, test client); "
          f"computed: after a change (nothing cached), cached: the same page again; load {os.getloadavg()[0]:.1f}; "
          "cpu: this process's CPU time (on SQLite the database's work too)")
    print(f"{'post-mortems':>12}  {'signed in as':<12} {'page':<40}{'computed ms':>12}{'cpu ms':>9}{'queries':>8}"
          f"{'cached ms':>10}")
    for size, rows in results:
        for role, path, median, cpu, queries, warm in rows:
            print(f"{size:>12,}  {role:<12} {path:<40}{median:>12.1f}{cpu:>9.1f}{queries:>8}{warm:>10.1f}")


if __name__ == "__main__":
    main()
