POSTMORTEM = {
    "slug": "checkout-unavailable-payment-provider-retry-storm",
    "title": "Checkout unavailable for 47 minutes when a payment provider slowdown set off a retry storm",
    "summary": """
        During the evening peak our card payment provider slowed down. Retries at three layers of our
        stack multiplied every slow authorisation into up to eighteen calls, checkout-api ran out of
        worker threads, and almost no customer could place an order for 47 minutes.
    """,
    "severity": "sev1",
    "status": "published",
    "template": "standard",
    "days_ago": 498,
    "started": "17:48",
    "detected": "17:56",
    "mitigated": "18:35",
    "resolved": "20:15",
    "written": "+1 10:00",
    "published": "+9 15:30",
    "teams": ["checkout", "payments"],
    "tags": ["checkout-api", "payments", "retry-storm", "dependency-outage", "timeouts", "load-shedding"],
    "authors": ["author", "author2"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            From 17:48 to 18:35 UTC almost every checkout attempt on the web shop and in the mobile app
            failed. Our card payment provider had become slow (p95 authorisation time rose from 0.8 s to
            over 9 s), and the retries we had added at three separate layers turned that slowness into a
            flood of requests that exhausted checkout-api's worker threads. Checkout recovered once a
            holding page shed load and payment retries were switched off; the provider recovered on its
            own at 19:40.
        """,
        "Impact": """
            - **Customers:** about 6,200 checkout attempts failed; 2,100 customers could not place an
              order during the evening peak. 1,460 of them came back and ordered later that evening.
            - **Double holds:** 312 customers saw two pending card holds for one order, because a retried
              authorisation succeeded at the provider after our side had given up on it. The holds
              dropped off within seven days; support answered 540 contacts about them.
            - **Revenue:** roughly £180,000 of orders were delayed; about £38,000 was not recovered.
            - **Colleagues:** two fulfilment centres received a wave of late orders at 19:00 and ran their
              evening picking shift 40 minutes over.
        """,
        "What happened": """
            At 17:48 the payment provider's authorisation endpoint began answering slowly for merchants in
            our region. Our payments-service calls it with a 10 second timeout and, on a timeout, retries
            twice. checkout-api calls payments-service with its own 12 second timeout and three retries,
            and the mobile app retries a failed checkout three times. Each of those retry policies was
            added at a different time, by a different team, for a good reason: a single dropped
            connection used to cost us an order. Nobody had multiplied them together. A slow provider
            meant one customer tap could become eighteen authorisation attempts.

            checkout-api runs a fixed pool of 200 worker threads per pod. As calls to payments-service
            started to take 10–30 seconds, the pool filled within four minutes and checkout-api began
            returning 503 to everything, including requests that did not touch payments at all, such as
            loading the basket.

            The checkout on-call engineer was paged at 17:56. The dashboards showed checkout-api at 100%
            thread utilisation and CPU well below its limit, which looked like a capacity problem: at
            18:15 the engineer doubled checkout-api from 24 to 48 pods, a step that had resolved a
            similar-looking alert two months earlier. This time it increased the number of concurrent
            calls to the provider, which began answering some of them with HTTP 429 (rate limited), and
            those were retried as well.

            At 18:09 the payments on-call engineer found the provider's status page reporting "degraded
            performance" in our region, and by 18:20 the incident commander had a clear picture: the
            provider was slow, and our own retries were keeping it that way for us. payments-service had
            a setting to turn retries off, but it is read at start-up, so it needed a rolling restart.
            In parallel the checkout lead proposed the CDN waiting room, built for sale days, to hold
            customers in a queue in front of checkout. The waiting room went live at 18:31 and the
            restart with retries off finished at 18:33. Successful checkouts were back above 90% of the
            normal rate at 18:35.
        """,
        "Detection": """
            The first signal was the checkout error-rate alert, which paged eight minutes after the
            provider slowed down. We had no alert on the provider's latency itself; the payments
            dashboard showed it, but nobody was looking at that dashboard at 17:48. The provider's status
            page was updated at 18:02, after we were already paged.

            An alert on provider p95 latency (now in place) fires about five minutes earlier in a replay
            of this incident, and it points at the provider instead of at checkout-api.
        """,
        "Response and recovery": """
            The response went through three phases:

            1. **17:56–18:15, capacity hypothesis.** The thread-pool graph matched a capacity incident from
               two months earlier, so the on-call engineer scaled out. The extra pods made the provider
               rate-limit us.
            2. **18:09–18:20, dependency hypothesis.** The payments on-call engineer joined, found the
               provider's status page and saw the retry counts in payments-service logs. The incident
               commander scaled checkout-api back to 24 pods.
            3. **18:20–18:35, shedding load.** Two mitigations ran in parallel: the waiting room at the
               edge, and a rolling restart of payments-service with retries disabled.

            Recovery after 18:35 was slow but steady. The provider cleared its backlog by 19:40; we
            removed the waiting room at 19:52, and by 20:15 the payments team had reconciled the pending
            authorisations and released the duplicate holds it could release from our side.
        """,
        "What went well": """
            - The waiting room, built for sale days, worked the first time it was used for an incident.
            - The incident commander asked for a second hypothesis after the scale-out made things worse,
              instead of scaling further.
            - Customer support had a holding message on the help centre within 15 minutes of being told.
        """,
        "What was difficult": """
            - The retry policies lived in three code bases and two configuration systems; there was no
              single place to see what one customer tap turns into.
            - Turning payment retries off needed a rolling restart of 16 pods during an incident.
            - The checkout-api dashboard showed thread exhaustion, which is a symptom of slowness anywhere
              downstream, next to a runbook that suggested scaling out.
        """,
        "Where we got lucky": """
            The provider recovered by itself. Had the slowdown lasted into the next morning, our only
            lever was the waiting room, which lets through a fixed rate of customers without knowing
            whether payments are healthy.
        """,
        "Lessons learned": """
            Retries are a multiplier, and multipliers compound across layers. Each team's retry policy was
            reasonable on its own; together they turned a slow dependency into an outage of our own. We
            now treat the whole call path as having one retry budget, spent at one layer, with backoff
            and jitter, and we ask "what does one user action become at the far end?" in design reviews.

            A full thread pool tells you that something downstream is slow, not that you need more
            threads. Scaling out a client of a rate-limited dependency can make things worse.
        """,
        "Supporting information": """
            - Incident channel transcript: https://chat.example.com/archives/inc-2291
            - Checkout dashboard for the incident window: https://dashboards.example.com/d/checkout-overview
            - Provider incident report (their reference PR-88412), attached to PAY-1179
            - Retry policy inventory written after the incident: https://wiki.example.com/payments/retries
        """,
    },
    "timeline": [
        ("17:48", "observation", "Payment provider p95 authorisation latency rises from 0.8 s to 9 s.",
         "https://dashboards.example.com/d/payments-provider"),
        ("17:52", "observation", "checkout-api worker thread pools reach 100% on all 24 pods; 503s begin."),
        ("17:56", "detection", "Checkout error-rate alert pages the checkout on-call engineer."),
        ("18:02", "communication", "Incident channel opened; support told that checkout is failing."),
        ("18:04", "escalation", "Incident commander and payments on-call engineer paged."),
        ("18:09", "observation", "Provider status page shows degraded performance in our region."),
        ("18:15", "action", "checkout-api scaled from 24 to 48 pods; provider starts answering with HTTP 429."),
        ("18:20", "action", "checkout-api scaled back to 24 pods; decision to shed load and disable payment retries."),
        ("18:24", "action", "Rolling restart of payments-service with retries disabled begins."),
        ("18:31", "mitigation", "CDN waiting room enabled in front of checkout."),
        ("18:35", "mitigation", "Successful checkouts back above 90% of the normal rate."),
        ("18:40", "communication", "Status page and help centre updated: checkout working, queue possible."),
        ("19:40", "observation", "Provider latency back to normal."),
        ("19:52", "action", "Waiting room removed; payment retries stay off overnight."),
        ("20:15", "resolution", "Pending authorisations reconciled; incident resolved."),
    ],
    "factors": [
        ("dependency", "The payment provider slowed down for about two hours in our region."),
        ("design", """
            Retries at three layers (mobile app ×3, checkout-api ×3, payments-service ×2) multiplied each
            slow authorisation into up to eighteen calls, with no backoff at any layer.
        """),
        ("tooling", "The payment retry setting was read at start-up, so changing it needed a rolling restart."),
        ("capacity", """
            Scaling checkout-api out raised concurrency against a rate-limited provider; the runbook
            suggested scaling for thread exhaustion without mentioning slow dependencies.
        """),
        ("detection", "No alert on provider latency; the first page came from checkout errors eight minutes in."),
    ],
    "action_items": [
        {"title": "Replace fixed payment retries with a retry budget and jittered backoff",
         "description": "One retry budget for the checkout call path, spent in payments-service only.",
         "kind": "prevent", "priority": "high", "owner": "author2", "due": 30, "status": "done",
         "completed": 41, "tracker": "https://tracker.example.com/PAY-1182"},
        {"title": "Alert on payment provider p95 latency above 2 s for 3 minutes",
         "kind": "detect", "priority": "high", "owner": "author2", "due": 14, "status": "done",
         "completed": 6, "tracker": "https://tracker.example.com/PAY-1180"},
        {"title": "Make payment retry settings reloadable without a restart",
         "kind": "mitigate", "priority": "medium", "owner": "author", "due": 45, "status": "done",
         "completed": 60, "tracker": "https://tracker.example.com/CHK-877"},
        {"title": "Add a circuit breaker around the payment provider that serves a holding page",
         "description": """
             When provider errors or latency cross a threshold, stop calling it for 30 seconds and show
             customers a holding page that keeps their basket.
         """,
         "kind": "prevent", "priority": "high", "owner": "author", "due": 120, "status": "in_progress",
         "tracker": "https://tracker.example.com/CHK-881"},
        {"title": "Contract a second payment provider for failover",
         "kind": "prevent", "priority": "low", "owner": "facilitator", "due": 90, "status": "wont_do",
         "completed": 70,
         "wont_do_reason": """
             At our volume a second provider costs more each year than the expected loss from provider
             outages; the circuit breaker and holding page protect the customer experience. Revisit when
             annual card volume passes £500m.
         """},
    ],
}
