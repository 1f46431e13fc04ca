"""Benchmark the main pages, each as each role, at 10,000 and 100,000 post-mortems.

Fills the database named by DATABASE_URL (or --sqlite FILE) with the synthetic post-mortems of
bench/search.py (sections, timeline, factors, action items, tags, teams; search index built), first
up to the smaller size, then up to the larger one, and at each size times whole requests through
Django's test client (middleware, sessions, templates) signed in as a reader, an author and a
facilitator: a post-mortem page, home, the list, search, a tag page, action items and the editor
(authors and facilitators only; readers may not edit). Each page is requested --rounds times,
rotating over different post-mortems, queries and tags, each met for the first time (so what is
cached per post-mortem is computed); it prints the median, the 95th percentile, the median CPU time
of the Django process and the number of queries of the last request.

    createdb -h 127.0.0.1 -U postgres hs_bench_pages
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_bench_pages .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --sqlite /tmp/hs_bench_pages.sqlite3 --sizes 10000

Targets on PostgreSQL: at 10,000 every page ≤ 25 ms median and ≤ 60 ms p95; at 100,000 within
twice that. The generated database is kept: a later run grows it, never refills it.
--profile PATH prints where the time of that page goes (cProfile, as the facilitator).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _django import configure  # noqa: E402 (bench/ is the script's folder)
from search import QUERIES, fill, percentile  # noqa: E402

SEED = 20240601
ROLES = ("reader", "author", "facilitator")


def people() -> dict:
    from django.contrib.auth.models import Group, User

    facilitator, _ = User.objects.get_or_create(username="bench-facilitator", defaults={"is_staff": True})
    facilitator.groups.add(Group.objects.get(name="Facilitators"))
    return {"reader": User.objects.get(username="bench-reader"),
            "author": User.objects.get(username="bench-author-0"), "facilitator": facilitator}


def pages(users: dict, rounds: int) -> dict[str, list[str]]:
    """Return {page name: paths to rotate over}; the author's editor paths are their own write-ups."""
    from taggit.models import Tag

    from postmortems.models import PostMortem

    published = PostMortem.objects.published().filter(restricted=False, slug__startswith="bench-")
    own = published.filter(authors=users["author"]).order_by("pk").values_list("slug", flat=True)[:rounds + 1]
    tags = Tag.objects.order_by("pk").values_list("slug", flat=True)[:rounds + 1]
    return {
        "post-mortem": [f"/postmortems/{slug}/" for slug in own],
        "home": ["/"],
        "list": ["/postmortems/"],
        "search": [f"/search/?q={query.replace(' ', '+')}" for query in QUERIES[:rounds + 1]],
        "tag page": [f"/tags/{slug}/" for slug in tags],
        "action items": ["/action-items/"],
        "editor": [f"/postmortems/{slug}/edit/" for slug in own],
    }


def measure(users: dict, paths: dict[str, list[str]], rounds: int) -> list[tuple]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rows = []
    for role in ROLES:
        client = Client()
        client.force_login(users[role])
        for page, options in paths.items():
            if page == "editor" and role == "reader":
                continue
            # Warm connections and templates on the first path only: the timed ones are each met for the
            # first time (a post-mortem's similar incidents are computed, not served from the cache).
            assert client.get(options[0]).status_code == 200, (role, options[0])
            timed = options[1:] or options
            times, cpu = [], []
            for i in range(rounds):
                path = timed[i % len(timed)]
                t0, c0 = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert response.status_code == 200, (role, path, response.status_code)
            rows.append((page, role, statistics.median(times), percentile(times, 0.95), statistics.median(cpu),
                         len(ctx.captured_queries)))
    return rows


def profile(user, path: str) -> None:
    from django.test import Client

    client = Client()
    client.force_login(user)
    client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        client.get(path)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="archive sizes to measure, ascending")
    parser.add_argument("--rounds", type=int, default=30, help="requests per page and role")
    parser.add_argument("--sqlite", help="use this SQLite file instead of DATABASE_URL")
    parser.add_argument("--profile", metavar="PATH", help="profile this page instead of timing all")
    args = parser.parse_args()
    configure(args.sqlite)

    from django.core.management import call_command
    from django.db import connection

    from postmortems.models import PostMortem

    call_command("migrate", verbosity=0)
    results = []
    for size in sorted(int(s) for s in args.sizes.split(",")):
        existing = PostMortem.objects.filter(slug__startswith="bench-").count()
        if existing > size:
            continue
        if existing < size:
            fill(size, SEED, start=existing)
        users = people()
        if args.profile:
            profile(users["facilitator"], args.profile)
            return
        results.append((size, measure(users, pages(users, args.rounds), args.rounds)))
    print()
    print(f"pages on {connection.vendor}, {args.rounds} requests each (whole request through the test client)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; 'cpu ms' is this process's CPU time "
          "(Django, templates, the driver), the median; wall times include waiting for the CPU and the database")
    print(f"{'post-mortems':>12}  {'page':<14}{'signed in as':<13}{'median ms':>10}{'p95 ms':>8}"
          f"{'cpu ms':>8}{'queries':>8}")
    for size, rows in results:
        for page, role, median, p95, cpu, queries in rows:
            print(f"{size:>12,}  {page:<14}{role:<13}{median:>10.1f}{p95:>8.1f}{cpu:>8.1f}{queries:>8}")


if __name__ == "__main__":
    main()
