POSTMORTEM = {
    "slug": "node-pool-upgrade-evicted-all-payment-workers",
    "title": "Kubernetes node pool upgrade evicted every payment worker at once",
    "summary": """
        A managed node pool upgrade drained three nodes at the same time. All four payments-service pods
        were running on those nodes, with no disruption budget to stop it, and their replacements took
        six minutes to become ready. Every card payment failed for 14 minutes at lunchtime.
    """,
    "severity": "sev1",
    "status": "in_review",
    "template": "standard",
    "days_ago": 19,
    "started": "12:41",
    "detected": "12:43",
    "mitigated": "12:55",
    "resolved": "13:30",
    "written": "+1 09:00",
    "submitted": "+4 17:00",
    "teams": ["payments", "platform"],
    "tags": ["k8s", "payments", "config-change", "pod-disruption-budget", "capacity", "upgrades"],
    "authors": ["author"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            From 12:41 to 12:55 UTC no customer could pay for an order. The production cluster's main node
            pool was upgrading to a new Kubernetes minor version with a surge of three nodes, so three
            nodes were drained at once. All four payments-service pods happened to be on those three
            nodes, and nothing in the payments chart told Kubernetes to keep any of them running. The
            replacements needed six minutes to start, slowed by throttled calls to the secrets store.
        """,
        "Impact": """
            - Every checkout failed at the payment step for 14 minutes, during the lunchtime peak:
              about 2,400 failed attempts from 1,700 customers.
            - 1,250 of those customers completed their order later the same day.
            - Refunds and payment captures for delivered orders were delayed by up to 40 minutes; none
              were lost.
        """,
        "What happened": """
            The platform team upgrades node pools every quarter with the cloud provider's managed upgrade,
            which adds new nodes, drains old ones and respects PodDisruptionBudgets while draining. Earlier
            upgrades ran overnight with a surge of one node. This quarter the upgrade window moved to
            working hours, so that more people were around if something went wrong, and the surge was
            raised to three to finish within the window.

            payments-service runs four pods. Its Helm chart comes from our shared service chart, which has
            a PodDisruptionBudget template behind a `pdb.enabled` value that defaults to off, because
            enabling it by default blocked drains for single-pod services in the past. The payments chart
            did not set it, and the chart also had no rule spreading its pods across nodes or zones. After
            a busy week of rescheduling, all four pods were on three nodes in the same zone.

            At 12:41 the upgrade drained those three nodes together. All payments-service pods were
            evicted within seconds. New pods were scheduled at once, but each fetches about forty secrets
            at start-up, and forty pods from the same drain were doing the same thing, so the secrets
            store throttled them. Readiness took six minutes instead of the usual 50 seconds.

            The payment failure alert paged the payments on-call engineer at 12:43, and the upgrade
            notifications in the platform channel made the link within minutes. The platform on-call
            engineer paused the upgrade at 12:48. The first payments pod became ready at 12:51 and all four
            by 12:55. The upgrade resumed at 13:20 with a surge of one, after a PodDisruptionBudget was
            added to payments-service by hand, and we closed the incident at 13:30.
        """,
        "Detection": """
            Detection was fast: the payment failure alert paged two minutes after the evictions. The
            upgrade itself announced what it was doing in the platform channel, which pointed the
            responders to the cause within minutes.
        """,
        "Response and recovery": """
            Pausing the upgrade stopped further drains but could not bring the evicted pods back any
            faster; the six-minute start-up set the length of the outage. The payments on-call engineer
            considered raising the secrets store's rate limit, but the change needed a ticket with the
            security team and would not land within the six minutes. Adding a PodDisruptionBudget by hand
            before resuming the upgrade meant the rest of the upgrade ran without further impact.
        """,
        "What went well": """
            - Upgrade notifications in the platform channel made the cause visible within minutes.
            - Pausing the managed upgrade worked instantly and was easy to resume.
            - Running the upgrade during working hours meant both on-call engineers and the payments lead
              were at their desks.
        """,
        "What was difficult": """
            - Knowing which services had a disruption budget: there was no list, and the chart default hid
              the difference.
            - Start-up time under load was much longer than the start-up time anyone had measured.
        """,
        "Where we got lucky": """
            The upgrade had already passed the nodes running checkout-api; a second tier-1 service
            evicted at the same time extends the outage well beyond payments.
        """,
        "Lessons learned": """
            Disruption budgets are a promise to the cluster about how much of a service may disappear at
            once. A default of "no promise" is safe for single-pod services and risky for everything we
            depend on. Moving the upgrade to working hours was a good decision; combining it with a larger
            surge changed the blast radius, and nothing in our process looked at both changes together.

            Start-up time is a capacity figure. Measured alone, our pods start in 50 seconds; in a crowd
            they take six minutes because they share a rate-limited dependency.
        """,
        "Supporting information": """
            - Incident channel: https://chat.example.com/archives/inc-2790
            - Upgrade event log exported from the cloud console, attached to PLAT-640
            - Secrets store throttling graph: https://dashboards.example.com/d/secrets-store
        """,
    },
    "timeline": [
        ("12:30", "action", "Managed node pool upgrade starts with a surge of three nodes."),
        ("12:41", "action", "Three nodes drained together; all four payments-service pods evicted."),
        ("12:42", "observation", "Replacement pods throttled by the secrets store during start-up.",
         "https://dashboards.example.com/d/secrets-store"),
        ("12:43", "detection", "Payment failure alert pages the payments on-call engineer."),
        ("12:45", "communication", "Status page: customers cannot pay for orders right now."),
        ("12:46", "escalation", "Platform on-call engineer joins; upgrade notifications link the cause."),
        ("12:48", "action", "Node pool upgrade paused."),
        ("12:51", "observation", "First replacement payments-service pod ready."),
        ("12:55", "mitigation", "All four payments-service pods ready; payments succeed again."),
        ("13:10", "action", "PodDisruptionBudget (minAvailable 3) applied to payments-service by hand."),
        ("13:20", "action", "Upgrade resumed with a surge of one node."),
        ("13:30", "resolution", "Upgrade progressing without impact; incident closed."),
    ],
    "factors": [
        ("change", "The upgrade surge went from one node to three when the window moved into working hours."),
        ("design", "The shared chart's PodDisruptionBudget was off by default, "
                   "and payments-service had no spread rule."),
        ("capacity", "Forty pods starting at once were throttled by the secrets store, "
                     "stretching start-up to six minutes."),
        ("process", "The upgrade plan changed timing and surge together without reviewing the combined risk."),
    ],
    "action_items": [
        {"title": "Add PodDisruptionBudgets and zone spread rules to every tier-1 service chart",
         "kind": "prevent", "priority": "high", "owner": "author", "due": 14, "status": "in_progress",
         "tracker": "https://tracker.example.com/PLAT-640"},
        {"title": "Run node pool upgrades with a surge of one, outside the lunch and evening peaks",
         "kind": "process", "priority": "high", "owner": "facilitator", "due": 7, "status": "done",
         "completed": 2, "tracker": "https://tracker.example.com/PLAT-641"},
        {"title": "Cache secrets at pod start-up so a secrets-store throttle cannot block readiness",
         "kind": "mitigate", "priority": "medium", "owner": "author2", "due": 45, "status": "open",
         "tracker": "https://tracker.example.com/PAY-1420"},
        {"title": "Fail CI for tier-1 services whose chart has no PodDisruptionBudget",
         "kind": "prevent", "priority": "medium", "owner": "author", "due": 30, "status": "open"},
    ],
}
