POSTMORTEM = {
    "slug": "foreign-key-migration-blocked-order-writes",
    "title": "A foreign-key migration blocked writes to the orders table for 29 minutes",
    "summary": """
        A schema migration added a foreign key to the 62-million-row orders table as part of a routine
        deploy. Validating the constraint held a lock that blocked every insert and update, so no order
        could be placed or changed from 10:05 to 10:34 UTC.
    """,
    "severity": "sev2",
    "status": "published",
    "template": "standard",
    "days_ago": 241,
    "started": "10:05",
    "detected": "10:09",
    "mitigated": "10:34",
    "resolved": "11:20",
    "written": "+1 10:00",
    "published": "+10 12:00",
    "teams": ["checkout", "data"],
    "tags": ["postgres", "data-migration", "locks", "deploy", "checkout-api", "change-management"],
    "authors": ["author2"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            For 29 minutes in the late morning, customers could browse and fill baskets but could not
            place, amend or cancel orders. A migration shipped with checkout-api added a foreign-key
            constraint from `orders` to the new `substitution_preferences` table. PostgreSQL validates a
            new foreign key by scanning the whole table while holding a lock that blocks writes, and on
            62 million rows the scan took far longer than anyone expected.
        """,
        "Impact": """
            - About 1,300 order placements failed with a timeout; 780 customers retried successfully
              later that day.
            - Drivers could not mark deliveries complete in the app for the same 29 minutes, because that
              also updates the orders table; the app queued the updates and sent them afterwards.
            - Warehouse picking was unaffected (it reads orders and writes to its own tables).
        """,
        "What happened": """
            Our deploy pipeline runs pending schema migrations automatically before rolling out the new
            application version. Migrations had been uneventful for a long time: most add a column or a
            table, which PostgreSQL does almost instantly. The new migration was reviewed by two
            engineers and tested against a staging database, where the orders table has 40,000 rows
            and the migration finished in under a second.

            `ALTER TABLE orders ADD CONSTRAINT ... FOREIGN KEY` takes a `SHARE ROW EXCLUSIVE` lock on
            `orders`, which allows reads but blocks inserts, updates and deletes, and then checks every
            existing row. No `lock_timeout` or `statement_timeout` was set for migrations, so nothing
            limited how long it could run.

            At 10:05 the migration started. Checkout requests that wrote orders began to queue behind the
            lock; checkout-api's 15-second timeout turned them into errors. At 10:09 the checkout latency
            alert paged the checkout on-call engineer. The deploy dashboard showed the pipeline "running
            migrations", which matched what the on-call engineer was seeing, but the pipeline gives no
            sign of how far along a migration is.

            The on-call engineer saw the blocked queries in `pg_stat_activity` at 10:21, all waiting on
            the migration's lock. Cancelling it was the natural lever, but nobody in the channel was sure
            whether a cancelled migration leaves the schema half-changed. The database lead joined at
            10:29 and confirmed that the migration runs in a single transaction, so cancelling rolls it
            back cleanly. The migration was cancelled with `pg_cancel_backend` at 10:33, and queued writes
            completed within a minute.

            The rest of the deploy was re-run without the migration by 11:20. The constraint was added a
            week later in two steps: `ADD CONSTRAINT ... NOT VALID`, which is instant, and `VALIDATE
            CONSTRAINT`, which scans the table under a lock that does not block writes.
        """,
        "Detection": """
            The checkout latency alert paged four minutes after the migration started. The deploy
            pipeline had the more direct signal, a migration running for minutes instead of seconds, but
            it does not alert on migration duration.
        """,
        "Response and recovery": """
            The cause was found in 16 minutes; the next 12 went into deciding whether the remedy was safe.
            The on-call engineer chose to wait for the database lead rather than cancel a schema change
            whose behaviour on cancellation they could not confirm, which was a reasonable call with data
            integrity at stake. A runbook entry now answers that question in one line.
        """,
        "What went well": """
            - The lock wait was visible in `pg_stat_activity` within seconds of looking.
            - The driver app's offline queue held delivery confirmations and replayed them afterwards.
            - The two-step `NOT VALID` / `VALIDATE` approach added the constraint a week later without
              any impact.
        """,
        "What was difficult": """
            - Knowing whether cancelling a running migration is safe.
            - Staging data is 1,500 times smaller than production, so migration timings there say little.
            - The deploy pipeline shows that migrations are running but not which one or for how long.
        """,
        "Where we got lucky": """
            The deploy went out at 10:05, between the breakfast and lunchtime peaks. At 18:00 the same
            migration affects four times as many customers.
        """,
        "Lessons learned": """
            Which DDL statements are safe depends on table size and lock level, not on how small the
            change looks in review. PostgreSQL's documentation lists the lock each `ALTER TABLE` form
            takes; our reviewers were not expected to know them by heart, and now a linter checks them.

            Every migration now runs with `lock_timeout = '5s'`, so a migration that cannot get its lock
            fails quickly instead of stalling the application behind it.
        """,
        "Supporting information": """
            - Incident channel: https://chat.example.com/archives/inc-2540
            - PostgreSQL documentation: ALTER TABLE, "Notes" on lock levels and NOT VALID constraints
            - Migration linter rules: https://wiki.example.com/data/migration-linter
        """,
    },
    "timeline": [
        ("10:02", "action", "checkout-api deploy starts; pipeline runs pending migrations first."),
        ("10:05", "observation", "Foreign-key migration on orders begins and takes a SHARE ROW EXCLUSIVE lock."),
        ("10:06", "observation", "Order writes queue behind the lock; checkout timeouts begin.",
         "https://dashboards.example.com/d/checkout-overview"),
        ("10:09", "detection", "Checkout latency alert pages the checkout on-call engineer."),
        ("10:14", "communication", "Status page: customers cannot place orders right now."),
        ("10:21", "observation", "Blocked writes found in pg_stat_activity, all waiting on the migration."),
        ("10:23", "escalation", "Database lead paged to confirm whether cancelling is safe."),
        ("10:29", "observation", "Database lead confirms the migration runs in one transaction."),
        ("10:33", "action", "Migration cancelled with pg_cancel_backend; transaction rolls back."),
        ("10:34", "mitigation", "Queued writes complete; checkout error rate back to normal."),
        ("11:20", "resolution", "Deploy re-run without the migration; incident closed."),
    ],
    "factors": [
        ("change", "The migration added a validated foreign key to a 62-million-row table in one step."),
        ("tooling", "Migrations ran without lock_timeout or statement_timeout, and the pipeline shows no progress."),
        ("knowledge", "Lock levels of ALTER TABLE forms were not part of migration review."),
        ("process", "Staging data was too small for migration timings to mean anything."),
    ],
    "action_items": [
        {"title": "Run migrations with lock_timeout 5 s and statement_timeout 15 min by default",
         "kind": "prevent", "priority": "high", "owner": "author2", "due": 7, "status": "done",
         "completed": 4, "tracker": "https://tracker.example.com/DATA-212"},
        {"title": "Add a CI linter that flags blocking DDL in migrations",
         "description": "Constraints without NOT VALID, indexes without CONCURRENTLY, column type changes.",
         "kind": "prevent", "priority": "high", "owner": "author", "due": 30, "status": "done",
         "completed": 27, "tracker": "https://tracker.example.com/DATA-213"},
        {"title": "Document cancelling a running migration in the database runbook",
         "kind": "process", "priority": "low", "owner": "facilitator", "due": 14, "status": "done",
         "completed": 3, "tracker": "https://tracker.example.com/DATA-214"},
        {"title": "Run schema migrations as their own pipeline stage, paused before the rollout",
         "kind": "process", "priority": "medium", "owner": "author", "due": 300, "status": "in_progress",
         "tracker": "https://tracker.example.com/PLAT-377"},
    ],
}
