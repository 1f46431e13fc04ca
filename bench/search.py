"""Benchmark the library's search at scale: the whole /search/ page against the naive raw SQL query.

Fills the database named by DATABASE_URL (or --sqlite FILE) with N synthetic post-mortems (seeded,
incident vocabulary, three tags each from about 200), builds the search index in one pass, then
times the search page (a full Django request through the test client, signed in as a reader) and
the naive engine query (rank plus snippet, top 20) for the same 50 queries, and prints p50/p95.

    createdb -h 127.0.0.1 -U postgres hs_bench_search
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_bench_search .venv/bin/python bench/search.py
    .venv/bin/python bench/search.py --sqlite /tmp/hs_bench_search.sqlite3

Targets at 100,000: page p95 under 150 ms on PostgreSQL and under 100 ms on SQLite, and no worse
than the naive query's p95. A database that already holds N benchmark post-mortems is reused.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _django import configure  # noqa: E402 (bench/ is the script's folder)

QUERIES = [
    "database", "timeout", "deploy", "certificate", "kafka", "connection pool", "memory leak",
    "dns resolution", "disk full", "rollback", "cache stampede", "rate limit", "checkout latency",
    "replication lag", "load balancer", "config push", "retry storm", "feature flag", "payments outage",
    "expired certificate", "queue backlog", "search index", "login errors", "paging alert",
    "runbook", "kubernetes node", "oom killed", "thundering herd", "schema migration", "deadlock",
    "tls handshake", "cdn purge", "autoscaling", "cron job", "data loss", "customer impact",
    "partial outage", "slow queries", "redis eviction", "capacity planning", "on-call handover",
    "dependency upgrade", "billing export", "backup restore", "network partition", "canary release",
    "error budget", "vendor outage", "clock skew", "missing alert",
]

SERVICES = ["checkout", "payments", "search", "login", "billing", "notifications", "inventory", "catalog",
            "shipping", "recommendations", "profile", "gateway", "reporting", "onboarding", "mobile api",
            "webhooks", "ledger", "pricing", "identity", "messaging"]
COMPONENTS = ["postgres", "redis", "kafka", "dns", "load balancer", "cdn", "kubernetes node", "rabbitmq",
              "elasticsearch", "object storage", "service mesh", "api gateway", "cron job", "feature flag service",
              "secrets manager", "connection pool", "cache", "queue", "scheduler", "replica"]
FAILURES = ["connection pool exhaustion", "memory leak", "expired certificate", "disk full", "deadlock",
            "retry storm", "cache stampede", "thundering herd", "replication lag", "clock skew",
            "bad config push", "schema migration lock", "rate limit misconfiguration", "network partition",
            "oom killed pods", "slow queries", "queue backlog", "tls handshake failures", "dns resolution errors",
            "redis eviction", "data loss", "cdn purge", "autoscaling lag", "dependency upgrade regression",
            "vendor outage", "missing alert", "noisy paging alert", "backup restore failure", "canary release gap",
            "error budget burn"]
TRIGGERS = ["a routine deploy", "a traffic spike", "a config change", "a dependency upgrade", "a failover",
            "a certificate rotation", "a schema migration", "a marketing campaign", "a cron job", "a region drill",
            "a kernel patch", "a feature flag flip", "a capacity change", "a vendor incident", "a rollback"]
IMPACTS = ["customers could not complete checkout", "logins failed for a share of users",
           "search results were stale", "payments were delayed", "emails were sent twice", "reports were late",
           "the mobile app showed errors", "partners saw timeouts", "billing exports were incomplete",
           "dashboards went blank", "orders queued without being processed", "latency doubled for everyone"]
SENTENCES = [
    "The on-call engineer was paged when the {component} error rate crossed the alert threshold.",
    "Dashboards showed {failure} building up in {service} for several minutes before anyone was paged.",
    "We rolled back the change and the {component} recovered within minutes.",
    "The runbook for {component} did not cover {failure}, so responders had to improvise.",
    "Retries from {service} amplified the load on the {component}, a classic retry storm.",
    "Customer impact: {impact}.",
    "The timeout on calls from {service} to the {component} was longer than the request deadline.",
    "Capacity planning had assumed a lower peak than the traffic we actually saw after {trigger}.",
    "A feature flag let us turn off the new code path in {service} without a deploy.",
    "The incident commander opened a status page update and kept support informed.",
    "Replication lag on the {component} meant reads returned stale data for a while.",
    "Latency rose from tens of milliseconds to several seconds at the {component}.",
    "We learned that our alerting on {failure} was missing for {service}.",
    "Error budget for {service} was burned in a single afternoon.",
    "Handover between on-call shifts lost the context of the earlier {failure}.",
    "The canary release did not catch it because the canary traffic never touched the {component}.",
    "Autoscaling added nodes, but the {component} was the bottleneck, not the application.",
    "Slow queries against the {component} held locks and caused a deadlock under load.",
    "The backup restore drill later showed that the recovery point was further back than expected.",
    "DNS resolution for the {component} failed intermittently from one availability zone.",
]
SECTION_HEADINGS = ["Summary", "Impact", "What happened", "What we learned"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def text(rng: random.Random, n: int, ctx: dict) -> str:
    return " ".join(rng.choice(SENTENCES).format(**ctx) for _ in range(n))


def fill(n: int, seed: int, start: int = 0) -> None:
    """Create benchmark post-mortems number `start` to `n` - 1 and (re)build the search index."""
    from django.contrib.auth.models import Group, User
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils.text import slugify
    from taggit.models import Tag, TaggedItem

    from knowledge.search import rebuild_index
    from postmortems.models import (
        ActionItem,
        ContributingFactor,
        FactorCategory,
        PostMortem,
        Section,
        Team,
        TimelineEvent,
    )

    rng = random.Random(seed + start)
    print(f"filling {start}–{n} post-mortems on {connection.vendor} …", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        reader, _ = User.objects.get_or_create(username="bench-reader")
        reader.groups.add(Group.objects.get(name="Readers"))
        authors = []
        for i in range(20):
            user, _ = User.objects.get_or_create(username=f"bench-author-{i}")
            user.groups.add(Group.objects.get(name="Authors"))
            authors.append(user)
        teams = [Team.objects.get_or_create(slug=slugify(s), defaults={"name": s.title()})[0] for s in SERVICES[:12]]
        tag_names = sorted({slugify(x) for x in SERVICES + COMPONENTS}
                           | {slugify(f)[:40] for f in FAILURES}
                           | {f"{slugify(s)}-{slugify(c)}" for s in SERVICES[:8] for c in COMPONENTS[:16]})[:200]
        Tag.objects.bulk_create([Tag(name=t, slug=t) for t in tag_names], ignore_conflicts=True)
        tags = list(Tag.objects.filter(name__in=tag_names).values_list("pk", flat=True))
        categories = list(FactorCategory.objects.values_list("pk", flat=True))
    ct = ContentType.objects.get_for_model(PostMortem)
    base = datetime(2019, 1, 1, tzinfo=UTC)
    batch = 2000
    for first in range(start, n, batch):
        with transaction.atomic():
            pms, children = [], []
            for i in range(first, min(n, first + batch)):
                ctx = {"service": rng.choice(SERVICES), "component": rng.choice(COMPONENTS),
                       "failure": rng.choice(FAILURES), "trigger": rng.choice(TRIGGERS), "impact": rng.choice(IMPACTS)}
                when = base + timedelta(minutes=rng.randrange(0, 7 * 365 * 24 * 60))
                roll = rng.random()
                status = "published" if roll < 0.9 else "in_review" if roll < 0.95 else "draft"
                title = (f"{ctx['service'].capitalize()}: {ctx['failure']} at the {ctx['component']} "
                         f"after {ctx['trigger']}")
                pms.append(PostMortem(
                    title=title, slug=f"bench-{i}", status=status, restricted=rng.random() < 0.05,
                    severity=rng.choice(["sev1", "sev2", "sev2", "sev3", "sev3", "sev3", "sev4"]),
                    summary=f"{ctx['impact'].capitalize()} for {rng.randint(5, 180)} minutes. " + text(rng, 1, ctx),
                    started_at=when, detected_at=when + timedelta(minutes=rng.randint(1, 30)),
                    resolved_at=when + timedelta(minutes=rng.randint(30, 400)),
                    published_at=when + timedelta(days=rng.randint(2, 20)) if status == "published" else None,
                ))
                children.append(ctx)
            PostMortem.objects.bulk_create(pms)
            sections, events, factors, actions, tagged, team_links, author_links = [], [], [], [], [], [], []
            for pm, ctx in zip(pms, children, strict=True):
                for pos, heading in enumerate(SECTION_HEADINGS):
                    sections.append(Section(postmortem=pm, position=pos, heading=heading,
                                            body=text(rng, rng.randint(3, 6), ctx)))
                for k in range(4):
                    events.append(TimelineEvent(postmortem=pm, occurred_at=pm.started_at + timedelta(minutes=5 * k),
                                                description=text(rng, 1, ctx)))
                for _ in range(2):
                    factors.append(ContributingFactor(postmortem=pm, category_id=rng.choice(categories),
                                                      description=text(rng, 1, ctx)))
                for _ in range(2):
                    actions.append(ActionItem(postmortem=pm,
                                              title=f"Add an alert for {ctx['failure']} on {ctx['component']}",
                                              description=text(rng, 1, ctx)))
                for tag_id in rng.sample(tags, 3):
                    tagged.append(TaggedItem(content_type=ct, object_id=pm.pk, tag_id=tag_id))
                team_links.append(PostMortem.teams.through(postmortem_id=pm.pk, team_id=rng.choice(teams).pk))
                author_links.append(PostMortem.authors.through(postmortem_id=pm.pk, user_id=rng.choice(authors).pk))
            for model, rows in ((Section, sections), (TimelineEvent, events), (ContributingFactor, factors),
                                (ActionItem, actions), (TaggedItem, tagged), (PostMortem.teams.through, team_links),
                                (PostMortem.authors.through, author_links)):
                model.objects.bulk_create(rows, batch_size=1000)
        print(f"  {min(n, first + batch)}/{n} rows ({time.perf_counter() - started:.0f} s)", flush=True)
    print("building the search index …", flush=True)
    index_started = time.perf_counter()
    rebuild_index(progress=lambda done, total: done % 20000 == 0 and print(f"  indexed {done}/{total}", flush=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does after a bulk load: statistics, visibility map
            cursor.execute("VACUUM ANALYZE")
    print(f"  index built in {time.perf_counter() - index_started:.0f} s; "
          f"fill took {time.perf_counter() - started:.0f} s")


def naive(query: str):
    """Return a callable running the naive engine query: rank every match, snippet, top 20."""
    from django.db import connection

    from knowledge.search import parse

    if connection.vendor == "postgresql":
        sql = ("SELECT d.postmortem_id, ts_rank(d.vector, q) AS r, ts_headline('english', d.body, q) "
               "FROM knowledge_searchdocument d, websearch_to_tsquery('english', %s) q "
               "WHERE d.vector @@ q ORDER BY r DESC LIMIT 20")
        params = [query]
    else:
        sql = ("SELECT rowid, bm25(knowledge_search_fts) AS r, "
               "snippet(knowledge_search_fts, -1, '<mark>', '</mark>', '…', 32) "
               "FROM knowledge_search_fts WHERE knowledge_search_fts MATCH %s ORDER BY r LIMIT 20")
        params = [parse(query).to_fts5()]

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


def measure(rounds: int, verbose: bool) -> dict:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="bench-reader"))
    page_times, naive_times, per_query = [], [], []
    for query in QUERIES:  # warm caches and connections once
        assert client.get("/search/", {"q": query}).status_code == 200
        naive(query)()
    for _ in range(rounds):
        for query in QUERIES:
            t0 = time.perf_counter()
            response = client.get("/search/", {"q": query})
            t1 = time.perf_counter()
            assert response.status_code == 200
            naive(query)()
            t2 = time.perf_counter()
            page_times.append((t1 - t0) * 1000)
            naive_times.append((t2 - t1) * 1000)
            per_query.append((query, (t1 - t0) * 1000, (t2 - t1) * 1000))
    if verbose:
        for query, page_ms, naive_ms in sorted(per_query, key=lambda row: -row[1])[:15]:
            print(f"  slowest page: {query!r:28} page {page_ms:7.1f} ms   naive {naive_ms:7.1f} ms")
    return {"page": page_times, "naive": naive_times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="post-mortems to create (default 100,000)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--rounds", type=int, default=3, help="times each of the 50 queries is run")
    parser.add_argument("--sqlite", help="use this SQLite file instead of DATABASE_URL")
    parser.add_argument("--verbose", action="store_true", help="list the slowest queries")
    args = parser.parse_args()
    configure(args.sqlite)

    from django.core.management import call_command
    from django.db import connection

    from postmortems.models import PostMortem

    call_command("migrate", verbosity=0)
    existing = PostMortem.objects.filter(slug__startswith="bench-").count()
    if existing != args.n:
        if existing:
            sys.exit(f"The database holds {existing} benchmark post-mortems, not {args.n}: use a fresh database.")
        fill(args.n, args.seed)
    results = measure(args.rounds, args.verbose)
    engine = connection.vendor
    print()
    print(f"search at {args.n:,} post-mortems on {engine} ({len(QUERIES)} queries × {args.rounds} rounds)")
    print(f"{'measure':<34}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for label, key in (("/search/ page (whole request)", "page"), ("naive SQL (rank + snippet, top 20)", "naive")):
        values = results[key]
        print(f"{label:<34}{statistics.median(values):>9.1f}{percentile(values, .95):>9.1f}{max(values):>9.1f}")


if __name__ == "__main__":
    main()
