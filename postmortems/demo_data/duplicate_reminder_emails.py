POSTMORTEM = {
    "slug": "delivery-reminder-emails-sent-twice",
    "title": "Delivery reminder emails sent twice after a Kafka consumer rebalance",
    "summary": """
        7,400 customers received their delivery-slot reminder email twice. A slow email provider made a
        notifications batch outlast Kafka's poll interval, the consumer group rebalanced, and the batch
        was processed again.
    """,
    "severity": "sev4",
    "status": "published",
    "template": "lightweight",
    "days_ago": 40,
    "started": "08:00",
    "detected": "08:25",
    "mitigated": "08:40",
    "resolved": "10:15",
    "written": "+2 11:00",
    "published": "+9 11:00",
    "teams": ["data"],
    "tags": ["kafka", "notifications", "duplicate-messages", "consumer-rebalance", "email"],
    "authors": ["author"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            Between 08:00 and 08:40 UTC, 7,400 customers received the same "Your delivery is tomorrow"
            reminder twice, a few minutes apart. No other message was affected and no customer data was
            wrong; the cost was confusion, 120 support contacts and a dent in trust in our emails.
        """,
        "What happened": """
            The notifications service reads reminder events from Kafka in batches of up to 1,000, sends
            each email through our email provider, and commits the batch's offsets when the batch is
            done. That gives at-least-once delivery: after a crash, some messages are sent again. We
            accepted that trade-off when the service was built, because a crash mid-batch was rare and
            the batches were quick.

            At 08:00 the daily reminder run started. The email provider was answering slowly that
            morning (about 400 ms per send instead of 60 ms), so a batch of 1,000 took nearly seven
            minutes. Kafka's `max.poll.interval.ms` for the consumer was five minutes. Kafka concluded
            the consumer had stalled, removed it from the group and gave its partitions to another
            instance, which started again from the last committed offset and re-sent the batch. This
            repeated for several batches while the provider stayed slow.

            At 08:25 support passed on several customer replies asking why they had two reminders. The
            data on-call engineer found "member has been removed from the group" warnings in the
            notifications logs and paused the reminder run at 08:40. With the batch size cut to 100 and a
            sent-message check added as a hotfix, the run resumed at 09:50 and finished by 10:15 with no
            further duplicates.
        """,
        "What we learned": """
            - At-least-once delivery is safe only when the consumer can recognise a repeat. Sending an
              email is not idempotent by itself; the consumer needs to remember what it has sent.
            - A poll interval tuned for fast batches is a hidden timeout on how slow our dependencies may
              get. Batch size and poll interval belong together and come from measured send times.
            - Rebalance warnings were in the logs all along, at a level nobody was alerted on.
        """,
    },
    "timeline": [
        ("08:00", "action", "Daily delivery reminder run starts."),
        ("08:04", "observation", "Email provider send latency rises from 60 ms to about 400 ms."),
        ("08:07", "observation", "First consumer removed from the group; its batch is reprocessed.",
         "https://dashboards.example.com/d/kafka-consumer-groups"),
        ("08:25", "detection", "Support forwards customer replies about duplicate reminders."),
        ("08:31", "escalation", "Data on-call engineer paged; rebalance warnings found in the logs."),
        ("08:40", "mitigation", "Reminder run paused."),
        ("09:10", "communication", "Support given a reply for customers: one delivery, two emails."),
        ("09:50", "action", "Run resumed with batch size 100 and a sent-message check."),
        ("10:15", "resolution", "Reminder run complete with no further duplicates."),
    ],
    "factors": [
        ("dependency", "The email provider answered about seven times slower than usual."),
        ("design", "The consumer committed offsets after whole batches and could not recognise re-sent messages."),
        ("capacity", "Batch size and max.poll.interval.ms left no headroom for a slower provider."),
        ("detection", "Consumer group rebalances were logged as warnings without an alert."),
    ],
    "action_items": [
        {"title": "Store a sent-message key per reminder and skip duplicates",
         "kind": "prevent", "priority": "medium", "owner": "author", "due": 7, "status": "done",
         "completed": 2, "tracker": "https://tracker.example.com/DATA-402"},
        {"title": "Set notification batch size and max.poll.interval.ms from measured p99 send times",
         "kind": "mitigate", "priority": "medium", "owner": "author", "due": 30, "status": "in_progress",
         "tracker": "https://tracker.example.com/DATA-403"},
        {"title": "Alert when a consumer group rebalances more than three times in ten minutes",
         "kind": "detect", "priority": "low", "owner": "author2", "due": 45, "status": "open"},
        {"title": "Write a one-page guide to Kafka delivery guarantees for service teams",
         "kind": "process", "priority": "low", "owner": "reader", "due": 60, "status": "open"},
    ],
}
