POSTMORTEM = {
    "slug": "expired-cdn-certificate-product-images",
    "title": "Expired certificate on the assets domain took product images and styles offline",
    "summary": """
        The TLS certificate for assets.larkspur.example expired at 06:00 UTC. Browsers refused to load
        product images, stylesheets and scripts, so the web shop appeared broken and the app showed
        grey placeholders for three and a half hours, until a renewed certificate reached every CDN
        edge.
    """,
    "severity": "sev2",
    "status": "published",
    "template": "standard",
    "days_ago": 430,
    "started": "06:00",
    "detected": "07:12",
    "mitigated": "08:05",
    "resolved": "09:30",
    "written": "+1 11:00",
    "published": "+12 16:00",
    "teams": ["platform"],
    "tags": ["cdn", "certificate-expiry", "tls", "web-shop", "monitoring", "ownership"],
    "authors": ["author2"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            From 06:00 to 09:30 UTC every browser and app that loaded an image, stylesheet or script from
            assets.larkspur.example saw an expired-certificate error. The web shop rendered as unstyled
            text without product pictures, and the mobile app showed grey boxes where products belong.
            Ordering still worked, but fewer than half the usual number of customers completed it.
        """,
        "Impact": """
            - Web shop conversion fell by 58% against the same morning a week earlier; app conversion
              fell by 31%. We estimate 2,700 orders were not placed, about £110,000 of revenue.
            - Support received 610 contacts, many asking whether the site had been hacked, because
              browsers show a full-page security warning for an expired certificate.
            - Picking and delivery were not affected.
        """,
        "What happened": """
            Most of our certificates renew automatically through the ACME integration in our CDN. The
            assets domain was the exception. It had been moved to the CDN three years ago by a team that
            has since been reorganised, and at the time the integration could not issue certificates for
            a domain with both a wildcard and a second-level name. That team bought a one-year
            certificate, uploaded it by hand, and set up a reminder. The renewal was done the same way
            the following year, and the reminder emails went to the team's shared mailbox.

            When that team split into Platform and Checkout, the shared mailbox was archived as part of
            tidying up old distribution lists. The renewal reminders at 30, 14 and 3 days went into the
            archived mailbox. Nothing in our inventory said this certificate was handled differently from
            the others, so there was no reason for anyone to go looking.

            At 06:00 the certificate expired. Traffic is light that early; the first customers to
            notice were early shoppers, and their reports reached the support team lead, who posted in
            the incident channel at 07:12 with a screenshot of the browser warning. The platform on-call
            engineer confirmed the expiry date within two minutes.

            Renewing the certificate took longer than finding the problem. Uploading a certificate to the
            CDN needs the account-owner role, which only two people held, neither of them on call. The
            on-call engineer reached the platform lead at 07:40; the new certificate was issued by 07:55
            and uploaded at 08:05. CDN edges then picked it up over the next 80 minutes, with the last
            regions serving it at 09:30.
        """,
        "Detection": """
            A customer-facing symptom was our first signal, 72 minutes after the expiry. Our synthetic
            checks request the web shop's HTML page from www.larkspur.example, which has a different,
            automatically renewed certificate. No check fetched an asset, and we had no certificate-expiry
            monitoring of any kind: we had relied on automation, and the one certificate outside it was
            invisible.
        """,
        "Response and recovery": """
            Diagnosis took two minutes; recovery took over two hours, for three reasons:

            1. **Permissions.** The account-owner role in the CDN was held by two senior staff rather than
               by the on-call rotation. The on-call engineer spent 28 minutes reaching someone who held it.
            2. **Issuance.** The certificate authority we use for manual certificates needs domain
               validation by email or DNS record. DNS validation through our Terraform pipeline took 15
               minutes.
            3. **Propagation.** The CDN distributes uploaded certificates to edges gradually. We did not
               know this would take over an hour; the CDN's documentation describes it as "usually within
               minutes".

            As a stopgap at 08:20 the web team pointed the shop's asset URLs at the origin domain, which
            has a valid certificate. That helped desktop customers in regions still waiting for the new
            certificate, at the cost of slower page loads.
        """,
        "What went well": """
            - The support team lead posted a screenshot, which made the diagnosis immediate.
            - The stopgap of serving assets from the origin was safe to make and easy to undo.
            - Communication to customers through the status page started at 07:25 and was clear about
              what was affected and that payment details were safe.
        """,
        "What was difficult": """
            - Finding who could renew the certificate. Ownership of the assets domain was not written
              down anywhere current.
            - Not knowing how long edge propagation takes, which made it hard to give customers an
              estimate.
        """,
        "Where we got lucky": """
            The expiry happened at 06:00, not during the evening peak. And the platform lead who held the
            account-owner role answered their phone on a day off.
        """,
        "Lessons learned": """
            Automation that covers nearly everything makes the remaining exceptions harder to see. The
            manual certificate was a sensible workaround three years ago; what made it risky was that its
            renewal depended on a mailbox and a memory, both of which were lost in a reorganisation that
            was about something else entirely.

            Expiry is a failure that announces its date in advance. Every certificate we serve, public or
            internal, should appear in one inventory with an alert well before the date, regardless of
            how it is renewed.
        """,
        "Supporting information": """
            - Incident channel: https://chat.example.com/archives/inc-2203
            - CDN certificate propagation notes from the vendor's support case 41-77310
            - Certificate inventory (started after this incident): https://wiki.example.com/platform/certificates
        """,
    },
    "timeline": [
        ("06:00", "observation", "Certificate for assets.larkspur.example expires."),
        ("06:40", "observation", "Web shop conversion begins to fall well below the weekly baseline.",
         "https://dashboards.example.com/d/web-conversion"),
        ("07:12", "detection", "Support team lead posts a screenshot of the browser warning in the incident channel."),
        ("07:14", "escalation", "Platform on-call engineer confirms the certificate expired at 06:00."),
        ("07:25", "communication", "Status page updated: images and styles not loading, payments safe."),
        ("07:40", "escalation", "Platform lead with the CDN account-owner role joins."),
        ("07:55", "action", "New certificate issued after DNS validation."),
        ("08:05", "mitigation", "Certificate uploaded to the CDN; first edges serve it within minutes."),
        ("08:20", "mitigation", "Web shop asset URLs pointed at the origin domain as a stopgap."),
        ("09:30", "resolution", "All CDN regions serve the new certificate; stopgap removed."),
    ],
    "factors": [
        ("process", "The assets certificate was renewed by hand once a year, outside the automated renewal."),
        ("communication", "Renewal reminders went to a shared mailbox archived during a team reorganisation."),
        ("detection", "No certificate-expiry monitoring; synthetic checks did not fetch any asset."),
        ("tooling", "Only two people held the CDN role needed to upload a certificate; neither was on call."),
        ("knowledge", "Edge propagation time for uploaded certificates was unknown to the responders."),
    ],
    "action_items": [
        {"title": "Move assets.larkspur.example to automated ACME renewal",
         "kind": "prevent", "priority": "high", "owner": "author2", "due": 14, "status": "done",
         "completed": 9, "tracker": "https://tracker.example.com/PLAT-215"},
        {"title": "Alert 21 days before any public certificate expires",
         "description": "Covers every hostname in our public DNS zones, checked daily from outside the CDN.",
         "kind": "detect", "priority": "high", "owner": "author", "due": 14, "status": "done",
         "completed": 12, "tracker": "https://tracker.example.com/PLAT-216"},
        {"title": "Give the platform on-call rotation a CDN role that can upload certificates",
         "kind": "process", "priority": "medium", "owner": "facilitator", "due": 30, "status": "done",
         "completed": 16, "tracker": "https://tracker.example.com/PLAT-219"},
        {"title": "Build one inventory of every certificate we operate, internal ones included",
         "description": """
             Public hostnames are covered by PLAT-216. Internal certificates (service mesh, Kafka, the
             internal CA) still need owners, expiry dates and alerts.
         """,
         "kind": "prevent", "priority": "medium", "owner": "author2", "due": 120, "status": "in_progress",
         "tracker": "https://tracker.example.com/PLAT-221"},
    ],
}
