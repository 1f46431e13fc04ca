"""Benchmark notifications: the fan-out of a publication to 1,000 followers, and delivering 10,000 queued
emails to a local SMTP server (aiosmtpd, started here in its own process).

The database is a new SQLite file (or DATABASE_URL's database, which must be empty and is left with the
benchmark's rows), migrated first.

    .venv/bin/python bench/notifications.py                                  # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_bench_notify .venv/bin/python bench/notifications.py --pg
    .venv/bin/python bench/notifications.py --followers 1000 --emails 10000

Prints the queries and time of the fan-out (the same for 10 and 1,000 followers: O(1) queries) and the
emails per second delivered.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--pg", action="store_true", help="Use DATABASE_URL (an empty PostgreSQL database).")
    args = parser.parse_args()

    from bench._django import configure

    if args.pg and not os.environ.get("DATABASE_URL"):
        parser.error("--pg needs DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="hs_bench_notify_"))
    configure(None if args.pg else str(workdir / "bench.sqlite3"))

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from taggit.models import Tag

    call_command("migrate", verbosity=0)

    from django.contrib.auth.models import Group, User

    from postmortems import delivery, notifications
    from postmortems.models import (
        Follow,
        Notification,
        NotificationKind,
        OutboxMessage,
        OutboxStatus,
        PostMortem,
        Status,
    )

    readers = Group.objects.get(name="Readers")
    facilitator = User.objects.create_user("bench-facilitator", "f@example.com", "x")
    tag = Tag.objects.create(name="queues", slug="queues")

    def make_followers(prefix: str, count: int) -> None:
        users = User.objects.bulk_create(
            User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", password="!") for i in range(count)
        )
        User.groups.through.objects.bulk_create(User.groups.through(user_id=u.pk, group_id=readers.pk) for u in users)
        Follow.objects.bulk_create(Follow(user=u, tag=tag) for u in users)

    def fan_out(title: str) -> tuple[int, float, int]:
        pm = PostMortem.objects.create(title=title, slug=title.lower().replace(" ", "-"), status=Status.PUBLISHED,
                                       published_at=timezone.now())
        pm.tags.add(tag)
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            made = notifications.published(postmortem=pm, user=facilitator)
        return len(queries), time.perf_counter() - start, len(made)

    make_followers("small", 10)
    small_queries, _, small_made = fan_out("Ten followers")
    make_followers("big", args.followers - 10)
    big_queries, big_seconds, big_made = fan_out("Many followers")
    print(f"fan-out: {small_made} followers -> {small_queries} queries; {big_made} followers -> {big_queries} "
          f"queries, {big_seconds * 1000:.0f} ms ({big_made / big_seconds:,.0f} notifications/s)")

    # Queue `emails` emails (the fan-outs above already queued some), then deliver them all.
    pm = PostMortem.objects.get(slug="many-followers")
    waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()
    recipients = list(User.objects.filter(username__startswith="big").values_list("pk", flat=True))
    extra = []
    while waiting + len(extra) < args.emails:
        extra.append(recipients[len(extra) % len(recipients)])
    now = timezone.now()
    made = Notification.objects.bulk_create(
        (Notification(recipient_id=uid, kind=NotificationKind.PUBLISHED, postmortem=pm, message="“Many followers” was "
                      "published.", created_at=now) for uid in extra), batch_size=2000)
    OutboxMessage.objects.bulk_create((OutboxMessage(notification=n, due_at=now) for n in made), batch_size=2000)
    total = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()

    # The SMTP server runs in its own process, as a real one would (in this process it would share the GIL).
    import subprocess

    from tests.mailserver import free_port

    port, count_file = free_port(), workdir / "arrived.txt"
    server = subprocess.Popen([sys.executable, "-m", "tests.mailserver", str(port), str(count_file)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()  # "ready"
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        start = time.perf_counter()
        report = delivery.deliver_due()
        seconds = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    arrived = int(count_file.read_text()) if count_file.exists() else 0
    print(f"delivery: {report.sent:,} of {total:,} queued emails sent, {arrived:,} arrived at the SMTP server, "
          f"in {seconds:.1f} s ({report.sent / seconds:,.0f} emails/s); {report.retrying} to retry, "
          f"{report.failed} given up, {report.skipped} not sent")
    print(f"engine: {connection.vendor}")


if __name__ == "__main__":
    main()
