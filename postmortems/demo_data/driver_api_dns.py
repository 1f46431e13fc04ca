POSTMORTEM = {
    "slug": "driver-app-dns-cutover-retired-load-balancer",
    "title": "Driver app lost its API after a DNS cut-over left a day-long TTL pointing at a retired load balancer",
    "summary": """
        We moved driver-api to a new load balancer and retired the old one two hours after changing DNS.
        The record had a 24-hour TTL, so many drivers' phones still resolved the old address; for 55
        minutes most drivers could not load routes or confirm deliveries.
    """,
    "severity": "sev2",
    "status": "published",
    "template": "standard",
    "days_ago": 371,
    "started": "09:30",
    "detected": "09:52",
    "mitigated": "10:25",
    "resolved": "+1 10:00",
    "written": "+2 09:00",
    "published": "+11 13:00",
    "teams": ["mobile", "platform"],
    "tags": ["dns", "config-change", "driver-app", "load-balancer", "migration", "ttl"],
    "authors": ["author"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            At 09:30 UTC we detached the old load balancer for driver-api, two hours after pointing DNS at
            its replacement. The DNS record still carried a TTL of 86,400 seconds from years earlier, so
            resolvers at mobile carriers, and the driver app's own cache, kept sending drivers to the old
            address. Until the old load balancer was reattached at 10:25, about 60% of drivers could not
            load routes or mark deliveries done. The incident stayed open until the next morning, when the
            last cached answers expired.
        """,
        "Impact": """
            - About 250 of 420 drivers on shift, across nine sites, lost contact with driver-api for up to
              55 minutes.
            - Dispatchers at three sites switched to printed manifests; 1,150 deliveries arrived more than
              30 minutes late and 96 missed their slot entirely.
            - Delivery confirmations were queued on the phones and arrived once the connection returned;
              no delivery record was lost.
        """,
        "What happened": """
            The platform team was moving every service from the old ingress load balancers to a new
            ingress controller. The plan, used for a dozen services already, was: create the new load
            balancer, change the DNS record through Terraform, watch traffic move across, and detach the
            old load balancer two hours later. For web-facing services this had always worked, because
            their records had 300-second TTLs and traffic moved within minutes.

            The driver-api record was created four years ago, before our Terraform module set TTLs, and had
            a TTL of one day. The migration plan's template did not mention TTLs, and the Terraform diff
            showed only the changed address. At 07:30 DNS was updated. Traffic to the new load balancer
            rose to about 40% and stayed there; the platform engineer running the migration read this as
            drivers who had not yet started their shift, which matched the usual morning ramp.

            At 09:30, per the plan, the old load balancer's targets were detached. Phones that still had
            the old address cached began failing to connect. The driver app shows "No connection" and
            retries in the background, which looks the same to a driver as poor mobile signal, so the
            first reports reached dispatch slowly. At 09:52 a dispatcher at the Manchester site called the
            operations line after five drivers reported the same problem, and operations paged the mobile
            on-call engineer.

            The mobile on-call engineer saw connection failures in the app's telemetry across all sites
            and asked in the platform channel whether anything had changed. The platform engineer linked
            the migration at 10:05, checked the record's TTL, and found the 86,400. Reattaching the old
            load balancer's targets took 20 minutes because the detach had also removed its security group
            rule; drivers reconnected from 10:25. Both load balancers served traffic until 10:00 the next
            day, when traffic to the old one had dropped to zero and it was retired.
        """,
        "Detection": """
            A dispatcher noticed a pattern 22 minutes after the cut-off. The driver app's telemetry showed
            connection failures from the first minute, but no alert used it; the API's own error rate
            stayed low because the failing requests never reached it. Traffic on the old load balancer was
            visible on its dashboard before detaching, but the migration checklist did not ask anyone to
            confirm it had reached zero.
        """,
        "Response and recovery": """
            Linking the symptom to the migration took 13 minutes after the page. The question "what
            changed?" in the platform channel found the answer quickly once asked. Recovery was slower than
            expected because the detach step removed more than its name suggests. We left both load
            balancers running overnight rather than risk a second cut-over on a guess about when caches
            expire.
        """,
        "What went well": """
            - The driver app's offline queue kept every delivery confirmation.
            - Dispatchers switched to printed manifests within 15 minutes at the three busiest sites.
            - The decision to keep both load balancers overnight meant a calm, data-led retirement.
        """,
        "What was difficult": """
            - App connection failures looked like poor signal to drivers, which delayed the first report.
            - The migration plan had worked twelve times, which made a 40% plateau easy to explain away.
            - Reattaching targets needed a security group rule that the detach step had removed silently.
        """,
        "Where we got lucky": """
            The cut-off happened at 09:30, before the late-morning delivery wave. Three hours later twice
            as many drivers were on the road.
        """,
        "Lessons learned": """
            A DNS change is not complete when the record changes; it is complete when the old answer has
            expired everywhere, and the TTL tells you when that is. Lowering the TTL well before a
            cut-over, and retiring the old target only when its traffic is zero, turns a risky step into a
            measured one.

            Plans that have worked many times earn trust, and that trust shapes how people read ambiguous
            signals. A checklist step with a number in it (old traffic is zero) is harder to explain away
            than a judgement.
        """,
        "Supporting information": """
            - Incident channel: https://chat.example.com/archives/inc-2355
            - Ingress migration plan and checklist (updated): https://wiki.example.com/platform/ingress-migration
            - Driver app connection telemetry: https://dashboards.example.com/d/driver-app-connectivity
        """,
    },
    "timeline": [
        ("07:30", "action", "driver-api DNS record changed to the new load balancer through Terraform."),
        ("08:00", "observation",
         "New load balancer carries about 40% of driver traffic; plateau read as the shift ramp."),
        ("09:30", "action", "Old load balancer targets detached as planned."),
        ("09:31", "observation", "Driver app connection failures rise across all sites.",
         "https://dashboards.example.com/d/driver-app-connectivity"),
        ("09:52", "detection", "Manchester dispatcher calls operations; mobile on-call engineer paged."),
        ("10:00", "communication", "Dispatch sites told to switch to printed manifests if needed."),
        ("10:05", "escalation", "Platform engineer links the ingress migration and finds the 86,400 s TTL."),
        ("10:10", "action", "Reattaching old load balancer targets; missing security group rule restored."),
        ("10:25", "mitigation", "Drivers reconnect; queued confirmations arrive."),
        ("10:40", "action", "DNS TTL lowered to 300 s; both load balancers kept overnight."),
        ("+1 09:45", "observation", "Traffic to the old load balancer at zero for over an hour."),
        ("+1 10:00", "resolution", "Old load balancer retired; incident closed."),
    ],
    "factors": [
        ("change", "DNS for driver-api moved to a new load balancer while the record's TTL was 24 hours."),
        ("process", "The migration checklist had no TTL step and no check that old traffic had reached zero."),
        ("detection", "No alert on the driver app's connection telemetry; failures never reached the API."),
        ("tooling", "Detaching targets also removed the security group rule, which slowed the rollback."),
    ],
    "action_items": [
        {"title": "Lower DNS TTLs to 300 s at least 48 hours before any cut-over",
         "description": "Added as the first step of the ingress migration checklist.",
         "kind": "process", "priority": "high", "owner": "author", "due": 7, "status": "done",
         "completed": 2, "tracker": "https://tracker.example.com/PLAT-251"},
        {"title": "Block load balancer retirement while it still receives traffic",
         "kind": "prevent", "priority": "medium", "owner": "author2", "due": 30, "status": "done",
         "completed": 25, "tracker": "https://tracker.example.com/PLAT-252"},
        {"title": "Alert on driver app connection failures above 10% for 3 minutes",
         "kind": "detect", "priority": "high", "owner": "reader", "due": 21, "status": "done",
         "completed": 18, "tracker": "https://tracker.example.com/MOB-512"},
        {"title": "Add an offline mode to the driver app that keeps the day's route on the phone",
         "kind": "mitigate", "priority": "high", "owner": "author", "due": 180, "status": "in_progress",
         "tracker": "https://tracker.example.com/MOB-515"},
        {"title": "Audit TTLs on every public DNS record by hand",
         "kind": "prevent", "priority": "low", "owner": "author2", "due": 60, "status": "wont_do",
         "completed": 40,
         "wont_do_reason": """
             Superseded: the Terraform DNS module now sets 300 s by default and CI rejects TTLs above
             3,600 s, which covers every record without a manual audit.
         """},
    ],
}
