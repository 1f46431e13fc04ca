POSTMORTEM = {
    "slug": "analytics-replica-lag-hidden-by-noisy-alert",
    "title": "Analytics replica fell 30 hours behind while a noisy alert went unheard",
    "summary": """
        A day-long finance export held back replay on the analytics replica of the orders database. The
        replication-lag alert fired, as it did several times a week, and nobody acted on it. Demand
        forecasts were built from day-old data, and three fulfilment centres over-ordered fresh produce.
    """,
    "severity": "sev3",
    "status": "published",
    "template": "standard",
    "days_ago": 212,
    "started": "03:10",
    "detected": "+1 08:45",
    "mitigated": "+1 09:05",
    "resolved": "+1 11:30",
    "written": "+3 10:00",
    "published": "+14 15:00",
    "teams": ["data"],
    "tags": ["postgres", "replication", "alert-fatigue", "analytics", "forecasting", "data-pipeline"],
    "authors": ["author", "author2"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            From 03:10 UTC on the first day until 11:30 the next day, the analytics replica of
            `orders-db` fell steadily behind the primary, reaching 30 hours of lag. A quarterly finance
            export running on the replica held back the replay of changes for as long as it ran. The lag
            alert fired within 30 minutes, but that alert had fired dozens of times in the previous
            months and cleared on its own, and the team had learned to let it. The overnight demand
            forecast used yesterday's orders, and three fulfilment centres ordered too much fresh produce.
        """,
        "Impact": """
            - Demand forecasts for the second day were built from orders up to 03:10 the day before.
            - Three fulfilment centres over-ordered fresh produce; about £14,000 of stock was written off
              or donated.
            - Analysts and finance saw day-old figures in every dashboard for a day and a half.
            - Customers were not affected.
        """,
        "What happened": """
            The analytics replica is a streaming replica of `orders-db` that analysts, finance reports and
            the nightly forecasting job read from. It was configured with `max_standby_streaming_delay =
            -1`, which tells PostgreSQL never to cancel a query that conflicts with replay; instead,
            replay waits for the query to finish. The setting was chosen two years ago after analysts lost
            hours of work to cancelled queries, and for short queries it worked well.

            At 03:10 the quarterly finance export started. It is a single query over two years of orders,
            and this quarter it included a new breakdown by delivery site, which made it far slower: it
            was still running 30 hours later. Replay on the replica paused behind it, and lag grew by a
            minute every minute.

            The replication-lag alert fired at 03:40, posting to the data team's channel. That alert fired
            most nights during the nightly ETL, when a burst of writes put the replica 30–40 minutes
            behind for a short time, and it always cleared itself by morning. Over the previous three
            months it fired 71 times, and acting on it had never found a problem. The data team had set
            the channel to mute this alert's notifications; it was the rational response to an alert
            that carried no information.

            The forecasting job ran at 02:00 the next night and produced a forecast from stale data
            without complaint. It checks that its input tables are not empty, not that they are current.
            Purchasing orders went out to suppliers at 05:00.

            At 08:45 on the second day a finance analyst noticed that the morning revenue dashboard still
            showed the previous day's totals and asked in the data channel. The data on-call engineer saw
            the 30-hour lag, found the export in `pg_stat_activity`, and cancelled it at 09:05 after
            checking with the finance lead. Replay caught up by 11:30.
        """,
        "Detection": """
            The alert detected the problem within 30 minutes; the team did not hear it. An alert that
            fires for a known, harmless pattern teaches people to ignore it, and this one fired on almost
            every night with a nightly ETL. The detection that mattered came from a person who knew what
            the dashboard ought to say, nearly 30 hours after the lag started.
        """,
        "Response and recovery": """
            Once the lag was seen, the cause took ten minutes to find and the fix was a single cancel.
            The data on-call engineer checked with the finance lead before cancelling the export because
            it was needed for a board report; they agreed to rerun it on a snapshot instead. The
            forecasting job was rerun at 12:00 on current data, in time to adjust the next day's
            purchasing.
        """,
        "What went well": """
            - The finance analyst spoke up as soon as a number looked wrong.
            - The finance export was rerun on a database snapshot the same afternoon, without touching
              the replica.
            - The forecast rerun corrected the following day's orders to suppliers.
        """,
        "What was difficult": """
            - An alert that had been noise for months, carrying a real signal this time.
            - A replica setting that trades replication freshness for query safety, with no limit on how
              far the trade can go.
            - The forecasting job had no notion of data freshness.
        """,
        "Where we got lucky": """
            This was not the week before a public holiday, when fresh-produce orders are three times
            larger.
        """,
        "Lessons learned": """
            Alert fatigue is a detection failure that builds up quietly. Every alert that fires without
            requiring action spends a little of the team's attention, and by the time a real problem
            arrives the alert has already been tuned out. An alert that fires 71 times in three months
            and never needs action is not an alert; it is a log line with a notification.

            Systems that consume data need to know how old it is. The forecasting job now refuses input
            more than two hours old and pages the data on-call engineer instead.
        """,
        "Supporting information": """
            - Replication lag over the incident: https://dashboards.example.com/d/orders-db-replicas
            - Alert review results (71 firings, 0 actions): https://wiki.example.com/data/alert-review
            - PostgreSQL documentation: hot standby, handling query conflicts
        """,
    },
    "timeline": [
        ("03:10", "observation", "Quarterly finance export starts on the analytics replica; replay pauses."),
        ("03:40", "detection", "Replication-lag alert posts to the data channel (muted, as usual for this alert)."),
        ("09:00", "observation", "Replica lag passes six hours; dashboards show stale figures.",
         "https://dashboards.example.com/d/orders-db-replicas"),
        ("+1 02:00", "action", "Nightly forecasting job runs on data up to 03:10 the previous day."),
        ("+1 05:00", "action", "Purchasing orders sent to suppliers from the stale forecast."),
        ("+1 08:45", "detection", "Finance analyst asks why the revenue dashboard shows yesterday's totals."),
        ("+1 08:55", "escalation", "Data on-call engineer finds 30 hours of lag and the long-running export."),
        ("+1 09:05", "mitigation", "Finance export cancelled after agreeing a rerun on a snapshot."),
        ("+1 10:15", "communication", "Fulfilment centres told that the morning produce orders were oversized."),
        ("+1 11:30", "resolution", "Replica caught up; forecast rerun scheduled for 12:00."),
    ],
    "factors": [
        ("detection", "The replication-lag alert fired 71 times in three months without action, so it was muted."),
        ("design", "max_standby_streaming_delay = -1 let one query hold back replay without any limit."),
        ("change", "A new breakdown made the quarterly export run for more than 30 hours instead of about 3."),
        ("design", "The forecasting job checked that its inputs existed, not how fresh they were."),
    ],
    "action_items": [
        {"title": "Set max_standby_streaming_delay to 30 min and run long exports on snapshots",
         "kind": "prevent", "priority": "high", "owner": "author2", "due": 14, "status": "done",
         "completed": 10, "tracker": "https://tracker.example.com/DATA-260"},
        {"title": "Review every alert that fired more than five times last month without action",
         "description": "For each one: tune it, route it, or delete it. Repeat every quarter.",
         "kind": "process", "priority": "high", "owner": "facilitator", "due": 30, "status": "done",
         "completed": 28, "tracker": "https://tracker.example.com/DATA-261"},
        {"title": "Make the forecasting job refuse input older than 2 hours and page the data on-call",
         "kind": "detect", "priority": "high", "owner": "author", "due": 60, "status": "in_progress",
         "tracker": "https://tracker.example.com/DATA-262"},
        {"title": "Give analysts a separate reporting database for long queries",
         "kind": "prevent", "priority": "medium", "owner": "author2", "due": 240, "status": "open",
         "tracker": "https://tracker.example.com/DATA-270"},
    ],
}
