"""Benchmark the JSON API: listing at 10,000 post-mortems, reading one, and a PagerDuty delivery.

Fills the database named by DATABASE_URL (or --sqlite FILE, migrated first) with synthetic published
post-mortems (bulk_create, two tags each), then times through Django's test client, with a reader's
token: GET /api/v1/postmortems (first and 200th page), GET /api/v1/postmortems/{slug} (structured and
Markdown), and a signed PagerDuty incident.triggered delivery (first, then replayed), printing the
median of several requests and the queries each makes.

    .venv/bin/python bench/api.py --sqlite /tmp/hs_bench_api.sqlite3
"""

import argparse
import hashlib
import hmac
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _django import configure  # noqa: E402 (bench/ is the script's folder)


def timed(call, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code < 300, (response.status_code, response.content[:300])
        queries = len(captured)
    return statistics.median(times), queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite")
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args()
    configure(args.sqlite)
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 10**9}
    from postmortems import services
    from postmortems.models import IncidentWebhook, PostMortem, Status, Template

    reader, _ = User.objects.get_or_create(username="bench-api-reader")
    reader.groups.add(Group.objects.get(name="Readers"))
    author, _ = User.objects.get_or_create(username="bench-api-author")
    author.groups.add(Group.objects.get(name="Authors"))
    have = PostMortem.objects.filter(slug__startswith="bench-api-").count()
    now = timezone.now()
    PostMortem.objects.bulk_create(
        [PostMortem(title=f"Bench incident {n}", slug=f"bench-api-{n}", status=Status.PUBLISHED, published_at=now,
                    started_at=now) for n in range(have, args.size)], batch_size=1000)
    template = Template.objects.filter(is_active=True).first()
    pm = services.postmortem_create(user=author, template=template, title="Bench read", severity="sev2",
                                    started_at=now)
    services._set_status(pm, Status.PUBLISHED)
    _, secret = services.api_token_create(user=reader, name="bench", scope="read")
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    total = PostMortem.objects.count()
    for label, url in (("list, page 1", "/api/v1/postmortems"), ("list, page 200", "/api/v1/postmortems?page=200"),
                       ("one, structured", f"/api/v1/postmortems/{pm.slug}"),
                       ("one, Markdown", f"/api/v1/postmortems/{pm.slug}?format=markdown")):
        median, queries = timed(lambda url=url: client.get(url, **headers), 15)
        print(f"{label:<18} {total:>7,} post-mortems  median {median:7.1f} ms  {queries} queries")
    hook = IncidentWebhook.objects.create(name="bench", kind="pagerduty", secret="s", template=template, author=author)
    counter = {"n": 0}

    def deliver(replay: bool):
        if not replay:
            counter["n"] += 1
        body = json.dumps({"event": {"event_type": "incident.triggered", "occurred_at": "2026-03-02T10:01:00Z",
                                     "data": {"id": f"BENCH{counter['n']}", "title": "Bench page",
                                              "created_at": "2026-03-02T10:00:00Z", "urgency": "high"}}}).encode()
        signature = "v1=" + hmac.new(b"s", body, hashlib.sha256).hexdigest()
        return client.post(f"/api/v1/hooks/{hook.key}/", body, content_type="application/json",
                           HTTP_X_PAGERDUTY_SIGNATURE=signature)

    for label, replay in (("webhook, new", False), ("webhook, replay", True)):
        median, queries = timed(lambda replay=replay: deliver(replay), 9)
        print(f"{label:<18} median {median:7.1f} ms  {queries} queries")


if __name__ == "__main__":
    main()
