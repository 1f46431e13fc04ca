POSTMORTEM = {
    "slug": "orders-database-connection-exhaustion-slot-release",
    "title": "Orders database ran out of connections at the 18:00 delivery-slot release",
    "summary": """
        When next week's delivery slots opened at 18:00, autoscaling and a newly launched service that
        connected to the orders database directly pushed it past max_connections. For 37 minutes 41% of
        slot bookings and many checkouts failed with "Something went wrong".
    """,
    "severity": "sev2",
    "status": "published",
    "template": "standard",
    "days_ago": 337,
    "started": "18:01",
    "detected": "18:03",
    "mitigated": "18:38",
    "resolved": "19:10",
    "written": "+1 09:30",
    "published": "+7 14:00",
    "teams": ["platform", "checkout"],
    "tags": ["postgres", "capacity", "connection-pool", "pgbouncer", "slot-release", "autoscaling"],
    "authors": ["author", "author2"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            Every day at 18:00 we release delivery slots for the same day next week, and traffic to the
            slot and checkout services triples within a minute. On this day the orders database (PostgreSQL,
            `orders-db`) refused new connections from 18:01 to 18:38 because the total number of
            connections reached its limit of 500. Customers trying to book a slot or check out saw an
            error page for about four in ten attempts.
        """,
        "Impact": """
            - 3,900 customers saw at least one error while booking a slot; 41% of booking attempts
              failed during the window.
            - Checkout error rate peaked at 28%.
            - The most popular slots (Saturday mornings) filled more slowly than usual, and support
              received 350 contacts from customers who believed the slots had gone.
            - No data was lost or corrupted.
        """,
        "What happened": """
            Services reach `orders-db` through PgBouncer in transaction-pooling mode, which lets hundreds of
            application connections share a small number of database connections. The substitutions
            service, launched the previous afternoon, connected to the database directly. It uses
            session-level advisory locks to stop two workers from proposing substitutes for the same
            order, and session-level locks do not work through a transaction pool. The team chose a direct
            connection as the documented alternative, sized its pool at 40 connections per pod, and load
            tested it at midday traffic with 3 pods. That test passed comfortably.

            The service's Horizontal Pod Autoscaler allowed up to 12 pods. At the 18:00 slot release it
            scaled out with everything else, and by 18:01 substitutions held 430 connections on its own.
            Together with PgBouncer's server connections and the replication and maintenance
            connections, `orders-db` reached `max_connections`, and every new connection got
            `FATAL: remaining connection slots are reserved for non-replication superuser connections`.

            The alert on database connection errors paged the platform on-call engineer at 18:03. The
            database dashboard showed total connections at the limit but not which application held them;
            the on-call engineer first suspected PgBouncer and checked its pool settings, which had not
            changed. At 18:19 the database lead joined and queried `pg_stat_activity` grouped by
            application name, which showed the substitutions service holding most of the connections.

            The checkout on-call engineer scaled the substitutions service down to 2 pods and pinned its
            autoscaler at 18:36; connections dropped below 300 within two minutes and errors stopped at
            18:38. We kept watching through the second traffic peak at 19:00 and closed the incident at
            19:10.
        """,
        "Detection": """
            Detection was quick: the connection-error alert paged two minutes after the first refused
            connection. What took time was attribution. Our dashboards showed the database's total
            connections, which told us *that* we were at the limit but not *who* was using the
            connections.
        """,
        "Response and recovery": """
            The first 16 minutes went into the PgBouncer hypothesis, which was the most common cause of
            connection trouble in the past. Once the database lead joined, one query answered the question
            and the fix took minutes. Scaling the new service down was low-risk because substitutions are
            proposed asynchronously; customers only noticed slower substitution suggestions that evening.
        """,
        "What went well": """
            - The alert fired within two minutes.
            - Setting `application_name` on every connection, a convention from last year, made the
              diagnostic query decisive.
            - The substitutions service degraded gracefully when scaled down.
        """,
        "What was difficult": """
            - There was no per-application view of database connections on the dashboard.
            - The connection budget of `orders-db` lived in the database lead's head; the launch review for
              the new service had no question about database connections.
        """,
        "Where we got lucky": """
            The database lead was at their desk. Without the grouped query, the next step on the runbook
            was restarting PgBouncer, which drops every pooled connection and turns partial failure into a
            full outage for about a minute.
        """,
        "Lessons learned": """
            A database connection limit is a shared budget, and autoscaling spends it without asking. A
            service that is safe at its minimum size can break the database at its maximum size, and the
            load test at midday never reached the maximum.

            We now keep a written connection budget for `orders-db`, check it in CI against each service's
            pool size multiplied by its autoscaler maximum, and show per-application connections on the
            main database dashboard.
        """,
        "Supporting information": """
            - Incident channel: https://chat.example.com/archives/inc-2372
            - Connections by application during the incident: https://dashboards.example.com/d/orders-db-connections
            - PostgreSQL documentation on `max_connections` and reserved superuser connections
        """,
    },
    "timeline": [
        ("-1 15:30", "action", "Substitutions service launched with a direct database connection pool of 40 per pod."),
        ("18:00", "observation", "Delivery slots for next week released; traffic triples."),
        ("18:01", "observation", "orders-db reaches max_connections; new connections refused.",
         "https://dashboards.example.com/d/orders-db-connections"),
        ("18:03", "detection", "Database connection-error alert pages the platform on-call engineer."),
        ("18:08", "action", "PgBouncer pool settings checked; unchanged since last month."),
        ("18:12", "communication", "Status page: some customers cannot book slots; we are working on it."),
        ("18:19", "escalation", "Database lead joins; connections grouped by application name."),
        ("18:24", "observation", "Substitutions service identified as holding 430 connections."),
        ("18:36", "action", "Substitutions service scaled to 2 pods and its autoscaler pinned."),
        ("18:38", "mitigation", "Connections below 300; booking and checkout errors stop."),
        ("19:00", "observation", "Second traffic peak passes without errors."),
        ("19:10", "resolution", "Incident closed; status page resolved."),
    ],
    "factors": [
        ("capacity", "orders-db max_connections (500) was reached when every service scaled out at once."),
        ("design", """
            The substitutions service needed session-level advisory locks, which do not work through
            PgBouncer's transaction pooling, so it connected directly.
        """),
        ("process", "The launch review and load test did not consider the autoscaler's maximum replica count."),
        ("detection", "The dashboard showed total connections, not connections per application."),
        ("knowledge", "The database's connection budget was known to the database lead and written nowhere."),
    ],
    "action_items": [
        {"title": "Check each service's pool size × max replicas against the orders-db budget in CI",
         "kind": "prevent", "priority": "high", "owner": "author", "due": 30, "status": "done",
         "completed": 34, "tracker": "https://tracker.example.com/PLAT-330"},
        {"title": "Move substitutions locking to a lock table so the service can use PgBouncer",
         "kind": "prevent", "priority": "medium", "owner": "author2", "due": 45, "status": "done",
         "completed": 52, "tracker": "https://tracker.example.com/CHK-702"},
        {"title": "Add per-application connection counts to the orders-db dashboard",
         "kind": "detect", "priority": "medium", "owner": "reader", "due": 14, "status": "done",
         "completed": 5, "tracker": "https://tracker.example.com/PLAT-331"},
        {"title": "Cap autoscaler maximums for every service that holds database connections",
         "kind": "mitigate", "priority": "low", "owner": "author2", "due": 30, "status": "wont_do",
         "completed": 20,
         "wont_do_reason": """
             Capping replicas moves the failure to CPU saturation at the slot release. The connection
             budget check in CI (PLAT-330) addresses the cause instead.
         """},
    ],
}
