POSTMORTEM = {
    "slug": "kafka-client-certificate-expiry-order-pipeline",
    "title": "Expired Kafka client certificate stopped overnight orders reaching the fulfilment centres",
    "summary": """
        The mTLS client certificate used by the order-events consumers expired at 02:14 UTC. Orders
        placed overnight stayed in Kafka instead of reaching the picking lists, and the first delivery
        wave at four fulfilment centres started with empty lists. 1,840 morning orders were delayed.
    """,
    "severity": "sev3",
    "status": "published",
    "template": "standard",
    "days_ago": 96,
    "started": "02:14",
    "detected": "05:05",
    "mitigated": "06:20",
    "resolved": "09:45",
    "written": "+1 13:00",
    "published": "+8 10:00",
    "teams": ["platform", "data"],
    "tags": ["kafka", "certificate-expiry", "mtls", "order-pipeline", "alert-routing", "runbooks"],
    "authors": ["author"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            For four hours overnight, no new order reached the fulfilment centres. The consumers that move
            order events from Kafka into the warehouse picking system authenticate with a client
            certificate from our internal certificate authority, and that certificate expired at 02:14.
            The consumers restarted in a loop, unable to connect, while orders kept arriving in Kafka.
            Picking for the 07:00 delivery wave started late at four sites.

            This is our second certificate expiry in a little over a year; the first was the public assets
            certificate on the CDN.
        """,
        "Impact": """
            - 1,840 orders for morning slots were delayed. 212 were delivered more than an hour late and
              37 were cancelled at the customer's request; we refunded delivery fees on all 249.
            - Warehouse teams at four sites re-planned the first wave by hand, and two sites brought in
              extra pickers.
            - No orders were lost: Kafka retained every event and the consumers processed the backlog in
              order once they reconnected.
        """,
        "What happened": """
            Our Kafka cluster requires mutual TLS. Each consuming service presents a client certificate
            issued by an internal certificate authority that the platform team set up when the cluster was
            built, with a one-year validity. Renewing them was a manual runbook step, scheduled by a
            calendar entry created at the time.

            The certificate inventory started after last year's CDN expiry was in progress. It already
            covered every public hostname, with alerts; internal certificates were the next stage and had
            not been added yet. The calendar entry for the Kafka renewal belonged to an engineer who had
            moved to another team, and it went with their calendar.

            At 02:14 the order-events consumers' certificate expired. The consumers logged TLS handshake
            failures and Kubernetes restarted them repeatedly. Consumer lag grew steadily. Our lag alert
            fired at 02:45, but it was configured as a warning that posts to the data team's channel
            rather than paging anyone, because in the past it had mostly fired during planned backfills.

            At 05:05 the early-shift lead at the Leeds fulfilment centre phoned the operations line: the
            picking lists for the 07:00 wave were nearly empty, which never happens. Operations paged the
            platform on-call engineer, who found the crash-looping consumers and the expired certificate
            by 05:20.

            The renewal runbook described signing the new certificate with the CA key stored on a
            bastion host. That key had since been moved into the secrets manager, and the runbook had not
            been updated. The on-call engineer and the data on-call engineer found the new location and
            the access policy needed by 06:00, issued a new certificate, and the consumers reconnected at
            06:20. The backlog of 2,600 events cleared by 06:45; the warehouses finished re-planning and
            the delayed deliveries were complete by 09:45.
        """,
        "Detection": """
            The consumer lag alert detected the problem 31 minutes after it began, but it did not page.
            It had been downgraded months earlier after firing during every planned backfill, which was a
            reasonable response to noise at the time. The effect was that the detection that counted came
            from a person in a warehouse, nearly three hours later.

            Certificate expiry itself was not monitored for internal certificates.
        """,
        "Response and recovery": """
            Once paged, the on-call engineer found the cause within 15 minutes: the consumer logs named
            the expired certificate. Most of the response time went into issuing a replacement, because
            the runbook pointed at a key location that no longer existed. The data on-call engineer knew
            the key had moved and where the migration notes were, which shortened the search.

            Operations and the warehouse leads handled the customer side in parallel: they prioritised
            orders with the earliest slots, and customer support messaged everyone in the 07:00 and 08:00
            slots before their delivery was due.
        """,
        "What went well": """
            - Kafka held every event; nothing needed replaying from other systems.
            - The warehouse early-shift lead raised the alarm as soon as the lists looked wrong.
            - Customers were told about delays before their slot, not after it.
        """,
        "What was difficult": """
            - The runbook described a key location from before the secrets migration.
            - The lag alert's routing reflected a problem (noisy backfills) that had since been fixed
              another way, so nothing prompted anyone to revisit it.
            - Internal certificates were in nobody's list of things that expire.
        """,
        "Where we got lucky": """
            The expiry fell on a night with low order volume. On a weekend night the backlog is about three
            times larger, and the warehouse recovery is much harder.
        """,
        "Lessons learned": """
            The lesson from the CDN expiry was the right one, but it had only been applied to the public
            half of our certificates. Every certificate has an owner, a renewal mechanism and an alert,
            and the internal ones are now part of the same inventory and expiry alerts.

            An alert that is quietened for good reasons keeps that setting long after the reasons change.
            Alert routing deserves the same periodic review as the alert thresholds themselves.
        """,
        "Supporting information": """
            - Incident channel: https://chat.example.com/archives/inc-2688
            - Consumer lag during the incident: https://dashboards.example.com/d/kafka-consumer-lag
            - Related: the CDN certificate expiry write-up and its action item PLAT-221 (certificate inventory)
        """,
    },
    "timeline": [
        ("02:14", "observation", "Order-events consumer client certificate expires; TLS handshakes fail."),
        ("02:20", "observation", "Consumers crash-looping; consumer lag rising.",
         "https://dashboards.example.com/d/kafka-consumer-lag"),
        ("02:45", "detection", "Consumer lag warning posts to the data team channel (not paging)."),
        ("05:05", "detection", "Leeds early-shift lead phones operations: picking lists nearly empty."),
        ("05:08", "escalation", "Operations pages the platform on-call engineer."),
        ("05:20", "observation", "Expired client certificate identified from consumer logs."),
        ("05:35", "escalation", "Data on-call engineer joins; runbook key location found to be out of date."),
        ("05:50", "communication", "Support starts messaging customers in the 07:00 and 08:00 slots."),
        ("06:00", "action", "CA key located in the secrets manager; new client certificate issued."),
        ("06:20", "mitigation", "Consumers reconnect and start processing the backlog."),
        ("06:45", "observation", "Backlog of 2,600 order events cleared."),
        ("09:45", "resolution", "Delayed deliveries complete; incident closed."),
    ],
    "factors": [
        ("process", "Kafka client certificates were renewed by hand, prompted by a personal calendar entry."),
        ("detection", "The consumer lag alert did not page; internal certificate expiry was not monitored."),
        ("knowledge", "The renewal runbook pointed at a CA key location from before the secrets migration."),
        ("design", "One client certificate was shared by every order-events consumer, so all stopped at once."),
    ],
    "action_items": [
        {"title": "Issue Kafka client certificates through cert-manager with automatic renewal",
         "description": "Renew at two-thirds of the certificate lifetime; one certificate per consuming service.",
         "kind": "prevent", "priority": "high", "owner": "author", "due": 120, "status": "in_progress",
         "tracker": "https://tracker.example.com/PLAT-508"},
        {"title": "Page on order-events consumer lag above 15 minutes at any hour",
         "kind": "detect", "priority": "high", "owner": "author2", "due": 7, "status": "done",
         "completed": 3, "tracker": "https://tracker.example.com/DATA-331"},
        {"title": "Add internal certificates to the certificate inventory and expiry alerts",
         "kind": "detect", "priority": "high", "owner": "author2", "due": 21, "status": "done",
         "completed": 18, "tracker": "https://tracker.example.com/PLAT-221"},
        {"title": "Rewrite the internal CA runbook and rehearse it every quarter",
         "kind": "process", "priority": "medium", "owner": "facilitator", "due": 30, "status": "open",
         "tracker": "https://tracker.example.com/PLAT-512"},
    ],
}
