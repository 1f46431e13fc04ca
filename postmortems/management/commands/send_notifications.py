"""Raise the reminders that are due and send the outbox's emails: once (for cron) or as a worker (--loop)."""

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection

from postmortems import delivery, notifications


class Command(BaseCommand):
    help = (
        "Raise action-item reminders that are due and send the notification emails waiting in the outbox. "
        "Safe to run often and from several places at once. With --loop, keep doing it every --interval seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, as a long-lived worker.")
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between runs with --loop (60).")
        parser.add_argument("--limit", type=int, default=None, help="Send at most this many emails per run.")
        parser.add_argument("--runs", type=int, default=None, help="With --loop, stop after this many runs.")

    def handle(self, *args, loop, interval, limit, runs, **options):
        if interval < 0 or (limit is not None and limit < 1) or (runs is not None and runs < 1):
            raise CommandError("--interval cannot be negative; --limit and --runs must be at least 1.")
        stopping = []
        if loop:
            signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        done = 0
        while True:
            if not connection.in_atomic_block:  # a worker drops a database connection that broke or aged out
                close_old_connections()
            reminders = notifications.raise_reminders()
            report = delivery.deliver_due(limit=limit)
            done += 1
            self.stdout.write(
                f"{reminders} reminders raised; {report.sent} emails sent, {report.retrying} to retry, "
                f"{report.failed} given up, {report.skipped} not sent."
            )
            if not loop or stopping or (runs is not None and done >= runs):
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
