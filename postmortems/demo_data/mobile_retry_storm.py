POSTMORTEM = {
    "slug": "mobile-app-retries-amplify-checkout-deploy",
    "title": "Mobile app retries turned a four-minute deploy blip into 20 minutes of failed checkouts",
    "summary": """
        A checkout-api deploy returned 503s for four minutes. Version 7.12 of the mobile app retried
        immediately and without limit, quadrupling traffic, and the API gateway's rate limiting kept
        app checkouts failing for a further 17 minutes.
    """,
    "severity": "sev3",
    "status": "published",
    "template": "lightweight",
    "days_ago": 152,
    "started": "11:20",
    "detected": "11:23",
    "mitigated": "11:41",
    "resolved": "12:30",
    "written": "+1 14:00",
    "published": "+6 11:00",
    "teams": ["mobile", "checkout"],
    "tags": ["retry-storm", "mobile-app", "checkout-api", "k8s", "deploy", "rate-limiting"],
    "authors": ["author2"],
    "sections": {
        "Summary": """
            From 11:20 to 11:41 UTC about a third of checkout attempts from the mobile app failed; the
            web shop was unaffected after 11:24. A routine checkout-api deploy started pods before they
            were ready and returned 503s for four minutes. The mobile app's new API client retried every
            failed request at once, and retried the gateway's rate-limit responses too, so the retry
            traffic outlived the deploy problem by 17 minutes. About 900 customers saw "Checkout failed,
            please try again"; most succeeded on a later attempt.
        """,
        "What happened": """
            At 11:20 a checkout-api deploy began. A change in the same release had moved the readiness
            probe to a new path, and the Helm chart still pointed at the old one, which answered 200
            before the application had warmed its connection pools. Kubernetes sent traffic to pods that
            could not serve it yet, and for about four minutes a share of requests got 503.

            The web shop shows an error and lets the customer retry, so its traffic barely moved. The
            mobile app had shipped version 7.12 eight days earlier with a rewritten API client. Its retry
            logic treated 503 and 429 as "try again now" and had no cap, because the client library's
            default was an unlimited retry count with no delay. In review this looked like the existing
            behaviour: the old client also retried, but three times with a one-second pause.

            Requests from the app rose to four times their normal rate. At 11:23 the API gateway's
            per-client rate limit started answering 429, which the app retried straight away, and the
            gateway's alert paged the mobile on-call engineer. The deploy itself had finished healthy at
            11:24, so the errors that continued were confusing: the checkout dashboard looked fine apart
            from traffic volume. At 11:31 the mobile on-call engineer matched the failing requests to app
            version 7.12 in the gateway logs. The checkout on-call engineer raised the gateway limit for
            the checkout route at 11:38, the retry loops drained, and errors stopped at 11:41. We
            closed the incident at 12:30 after 45 quiet minutes. A 7.12.1 release with capped exponential
            backoff reached the app stores the next day, and the raised limit stayed in place until most
            devices had updated.

            This is the same failure mode as the checkout retry storm earlier in the year: a short problem
            on the server, amplified by retries on the client. The server-side retry budget added then
            does not cover clients we ship to phones.
        """,
        "What we learned": """
            - Retry policy is part of the API contract. The app now follows the same rules as our
              services: at most three attempts, exponential backoff with jitter, and `Retry-After`
              honoured on 429 and 503.
            - Library defaults need the same scrutiny as our own code when they control traffic volume.
            - Once an app version is on phones we cannot change its behaviour quickly; a remote switch for
              client retry behaviour is worth having before the next incident, not during it.
            - Related: [Checkout unavailable for 47 minutes when a payment provider slowdown set off a
              retry storm](/postmortems/checkout-unavailable-payment-provider-retry-storm/).
        """,
    },
    "timeline": [
        ("-8 09:00", "observation", "Mobile app 7.12 released with a rewritten API client."),
        ("11:20", "action", "checkout-api deploy starts; pods receive traffic before they are ready."),
        ("11:21", "observation", "503s on the checkout route; mobile app requests rise to 4× normal.",
         "https://dashboards.example.com/d/api-gateway"),
        ("11:23", "detection", "API gateway rate-limit alert pages the mobile on-call engineer."),
        ("11:24", "observation", "Deploy completes healthy; app errors continue."),
        ("11:27", "escalation", "Checkout on-call engineer joins the incident channel."),
        ("11:31", "observation", "Failing requests traced to app version 7.12 in gateway logs."),
        ("11:38", "mitigation", "Gateway rate limit for the checkout route raised to 3× normal."),
        ("11:41", "mitigation", "Retry loops drain; checkout error rate back to normal."),
        ("12:05", "action", "Mobile app 7.12.1 with capped exponential backoff submitted for expedited review."),
        ("12:30", "resolution", "Error rates steady for 45 minutes; incident closed with the raised limit in place."),
    ],
    "factors": [
        ("change", "The readiness probe path in the Helm chart did not match the application after the release."),
        ("design", "The new mobile API client retried 503 and 429 immediately with no attempt limit."),
        ("process", "App release review compared behaviour with the old client but not the library's defaults."),
        ("knowledge", "The retry budget rule from the earlier checkout incident had not reached the mobile team."),
    ],
    "action_items": [
        {"title": "Ship capped exponential backoff with jitter and honour Retry-After in the app",
         "kind": "prevent", "priority": "high", "owner": "author2", "due": 2, "status": "done",
         "completed": 1, "tracker": "https://tracker.example.com/MOB-640"},
        {"title": "Add a remote switch for client retry behaviour to the app configuration",
         "kind": "mitigate", "priority": "medium", "owner": "author2", "due": 45, "status": "open",
         "tracker": "https://tracker.example.com/MOB-644"},
        {"title": "Fail checkout-api deploys whose readiness probe path returns 404",
         "kind": "prevent", "priority": "medium", "owner": "author", "due": 30, "status": "done",
         "completed": 19, "tracker": "https://tracker.example.com/CHK-1013"},
        {"title": "Add a canary step with automatic rollback to checkout-api deploys",
         "kind": "mitigate", "priority": "medium", "owner": "facilitator", "due": 200, "status": "in_progress",
         "tracker": "https://tracker.example.com/PLAT-402"},
    ],
}
