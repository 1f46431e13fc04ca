POSTMORTEM = {
    "slug": "catalogue-cache-stampede-after-redis-maintenance",
    "title": "Cache stampede on the product catalogue after Redis maintenance emptied the cache",
    "summary": """
        Scheduled maintenance on our managed Redis replaced the catalogue cache node with an empty one.
        Every catalogue-service pod missed the cache at once and queried the catalogue database, and
        product pages took up to 9 seconds to load for 18 minutes.
    """,
    "severity": "sev3",
    "status": "draft",
    "template": "lightweight",
    "days_ago": 12,
    "started": "14:02",
    "detected": "14:06",
    "mitigated": "14:24",
    "resolved": "14:50",
    "written": "+1 16:00",
    "teams": ["platform"],
    "tags": ["redis", "cache-stampede", "catalogue", "postgres", "managed-service-maintenance"],
    "authors": ["author2"],
    "sections": {
        "Summary": """
            From 14:02 to 14:24 UTC product and search pages on the web shop and in the app were slow
            (p95 of 9 seconds against a normal 400 ms) and about 6% of them timed out. Our managed Redis
            provider replaced the node that holds the catalogue cache during a scheduled maintenance
            window, and the replacement started empty. The catalogue database could not absorb the
            sudden load from every pod refilling the cache at once.
        """,
        "What happened": """
            The provider's maintenance notice arrived three weeks earlier and said the node would be
            "patched with a brief failover". Our reading, shared by the platform team at the time, was
            that a failover keeps the data, because the replica holds a copy. For this node type the
            maintenance replaces the node outright, and the catalogue cache runs without a replica
            because it holds only data we can rebuild.

            At 14:02 the new node came up empty. About 40,000 product keys, all written with the same
            one-hour expiry, were missing at once. Each of the 30 catalogue-service pods fetched missing
            products from the catalogue database independently, so a popular product was fetched up to
            30 times in the same second. The database's CPU reached 100% within a minute.

            The platform on-call engineer was paged by the product-page latency alert at 14:06. The Redis
            dashboard showed the node restart, which pointed straight at the cause. Request coalescing
            (one fetch per key, shared by all waiting requests) already existed in catalogue-service
            behind a setting that was off; it had been built for a sale-day launch and never turned on
            permanently. The on-call engineer enabled it at 14:19, database CPU fell to 60% and latency
            recovered by 14:24. By 14:50 the cache was warm again and we closed the incident.

            Notes from the first draft, to rework before review: the platform team should have read
            the maintenance notice more carefully. Obviously the cache needed a replica. The on-call
            engineer failed to check the Redis dashboard first. This was a careless mistake that could
            easily have been avoided.

            *Still to write: the conversation with the provider about the maintenance notice wording.*
        """,
    },
    "timeline": [
        ("-21 09:00", "communication", "Managed Redis maintenance notice received: brief failover expected."),
        ("14:02", "observation", "Catalogue cache node replaced; new node starts empty."),
        ("14:03", "observation", "Catalogue database CPU at 100%; product page latency rising.",
         "https://dashboards.example.com/d/catalogue"),
        ("14:06", "detection", "Product-page latency alert pages the platform on-call engineer."),
        ("14:10", "observation", "Redis dashboard shows the node restart and zero keys."),
        ("14:19", "action", "Request coalescing enabled in catalogue-service."),
        ("14:24", "mitigation", "Database CPU at 60%; page latency back to normal."),
        ("14:50", "resolution", "Cache hit rate back above 95%; incident closed."),
    ],
    "factors": [
        ("dependency", "Provider maintenance replaced the cache node instead of failing over to a copy."),
        ("design", "Cache keys shared one expiry and fills were not coalesced, so every pod refilled at once."),
        ("communication", "The maintenance notice's wording suggested the data would survive."),
    ],
    "action_items": [
        {"title": "Turn on request coalescing for catalogue cache fills permanently",
         "kind": "prevent", "priority": "high", "owner": "author2", "due": 14, "status": "open",
         "tracker": "https://tracker.example.com/PLAT-611"},
        {"title": "Add ±10% jitter to catalogue cache expiry times",
         "kind": "prevent", "priority": "medium", "owner": "author2", "due": 30, "status": "open"},
        {"title": "Warm the catalogue cache from a snapshot when a node starts empty",
         "kind": "mitigate", "priority": "low", "owner": "author", "due": 60, "status": "open"},
    ],
}
