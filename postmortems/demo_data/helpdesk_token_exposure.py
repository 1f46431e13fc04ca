POSTMORTEM = {
    "slug": "helpdesk-widget-exposed-customer-lookup-token",
    "title": "Help-centre widget exposed an API token that could read customer contact details",
    "summary": """
        For 23 days the help-centre widget on our website carried an API token in its browser-side
        configuration. The token could look up customer profiles, including delivery addresses and
        phone numbers. A security researcher reported it; access logs show 61 customer records read by
        parties we could not identify. Those customers and the regulator were notified.
    """,
    "severity": "sev2",
    "status": "published",
    "template": "security-incident",
    "restricted": True,
    "days_ago": 288,
    "started": "15:20",
    "detected": "+23 14:10",
    "mitigated": "+23 14:52",
    "resolved": "+25 17:00",
    "written": "+26 10:00",
    "published": "+40 12:00",
    "teams": ["identity"],
    "tags": ["security", "secrets", "access-tokens", "support-console", "data-exposure", "identity"],
    "authors": ["author2", "facilitator"],
    "facilitator": "facilitator",
    "sections": {
        "Summary": """
            A release of the help-centre widget on larkspur.example included, in its browser-side
            configuration, an API token for our helpdesk integration. The token was meant for the
            helpdesk vendor's servers only, and could look up customer profiles by email address. It was
            publicly readable for 23 days, from the widget release until we revoked it 42 minutes after a
            researcher's report. 61 customer records were read with it from addresses outside our
            network. The token is revoked, the integration has been redesigned, affected customers were
            told, and the regulator was notified within 72 hours.
        """,
        "Impact": """
            - **Data:** 61 customer profiles were read by unidentified parties: name, email address,
              phone number, delivery addresses and order count. No payment details, passwords or order
              contents were reachable with this token.
            - **Customers:** all 61 were emailed on the second day with what was accessed and what to
              watch for; 4 replied, and support followed up by phone.
            - **Obligations:** the data protection officer notified the regulator 52 hours after the
              report. The regulator closed the case after our follow-up report, with no further action.
        """,
        "Detection": """
            A security researcher reported the token through our vulnerability disclosure address at
            14:05 on day 23, and the security on-call engineer acknowledged at 14:10. Earlier signals
            existed: our repository secret scanning had flagged the token when it was first added to
            the widget configuration, but the finding was on a configuration file that is normally
            server-side, and it was marked as expected. Lookups from unfamiliar addresses appeared in the
            integration's access log from day 9, but nothing alerted on them.
        """,
        "What happened": """
            The helpdesk vendor's widget shows a customer's recent orders when they open a support chat.
            To do this, the vendor's servers call our customer lookup API with a token we issue. When the
            identity team moved the widget to the vendor's newer version, the new version's configuration
            had a single settings file in which the integration token and the display options sat side by
            side. The vendor's documentation said the file was read on their server; in practice, the new
            version also bundled the display options into the browser script and, with them, the whole
            file.

            The repository's secret scanner flagged the token when the file was committed. The reviewing
            engineer checked the vendor's documentation, which described the file as server-side, and
            marked the finding as expected. That was consistent with everything the documentation said.

            The widget went live at 15:20 on day 0. The token appeared in the page's JavaScript for every
            visitor to the help centre. The lookup API requires the token and an email address, and
            returns the profile of the customer with that address. Logs show the first lookups from
            unknown addresses on day 9, in three bursts, for 61 distinct email addresses, most of which
            appear in public data breach lists.

            On day 23 a researcher reported the token. The security on-call engineer confirmed it within
            20 minutes, revoked it at 14:52, and the help-centre chat fell back to working without order
            history.
        """,
        "Containment and eradication": """
            - The token was revoked at 14:52, 42 minutes after the report; lookups with it failed from then
              on.
            - The widget configuration was split so that no credential can reach the browser bundle, and a
              build check now fails if any known token pattern appears in a built script.
            - All other integration tokens with customer read scope (six of them) were rotated within 24
              hours as a precaution; none showed unexplained use.
            - Verification: a scan of the published scripts and a review of 30 days of lookup logs for every
              integration token, completed on day 25.
        """,
        "Recovery": """
            The helpdesk integration was rebuilt so that the vendor's servers ask our API for ticket context
            by ticket number, scoped to the customer on the ticket, rather than looking up any customer by
            email. The new token was issued on day 25 and stored only in the vendor's server-side secret
            store.
        """,
        "Lessons learned": """
            A credential's safety depends on where it ends up, not on where it is written. Our scanner
            looked at the repository, where the token was in a file that was documented as server-side;
            the exposure happened in a build step owned by a vendor.

            Scope is the strongest defence we control. The token could read any customer by email because
            that was the simplest integration to build; the new design limits it to the customers with an
            open support ticket.
        """,
        "Supporting information": """
            - Security ticket with evidence and indicators: https://tracker.example.com/SEC-231 (restricted)
            - Regulator notification and follow-up report: stored in the legal team's case folder
            - Researcher's report and our acknowledgement, SEC-230
        """,
    },
    "timeline": [
        ("-2 11:00", "observation",
         "Secret scanner flags the token in the widget configuration; marked expected after review."),
        ("15:20", "action", "New help-centre widget version goes live; token present in the browser bundle."),
        ("+9 02:10", "observation", "First customer lookups with the token from unrecognised addresses."),
        ("+23 14:05", "detection", "Security researcher reports the token to the vulnerability disclosure address."),
        ("+23 14:10", "escalation", "Security on-call engineer acknowledges and opens a restricted incident."),
        ("+23 14:30", "observation", "Token confirmed readable in the public widget script."),
        ("+23 14:52", "mitigation", "Token revoked; help-centre chat falls back to no order history."),
        ("+23 18:00", "observation", "Log review: 61 customer records read from unrecognised addresses."),
        ("+24 10:00", "communication", "Data protection officer briefed; affected customers emailed."),
        ("+25 17:00", "resolution", "Regulator notified; integration tokens rotated; new scoped token issued."),
    ],
    "factors": [
        ("dependency", "The vendor's new widget version bundled its whole settings file into the browser script."),
        ("knowledge", "The vendor's documentation described the settings file as server-side only."),
        ("design", "The integration token could read any customer profile by email address."),
        ("detection", "No alert on integration token use from unfamiliar addresses; "
                      "the scanner checked sources, not build output."),
    ],
    "action_items": [
        {"title": "Scan built browser bundles for credentials, not only repositories",
         "kind": "detect", "priority": "high", "owner": "author2", "due": 30, "status": "done",
         "completed": 31, "tracker": "https://tracker.example.com/SEC-235"},
        {"title": "Limit the helpdesk token to customers with an open ticket",
         "kind": "prevent", "priority": "high", "owner": "author2", "due": 25, "status": "done",
         "completed": 25, "tracker": "https://tracker.example.com/SEC-236"},
        {"title": "Record an owner and scope for every third-party integration token",
         "kind": "process", "priority": "medium", "owner": "facilitator", "due": 90, "status": "in_progress",
         "tracker": "https://tracker.example.com/SEC-238"},
        {"title": "Keep integration token access logs for 13 months",
         "kind": "detect", "priority": "low", "owner": "facilitator", "due": 60, "status": "wont_do",
         "completed": 55,
         "wont_do_reason": """
             Legal review found 13 months of customer-lookup logs conflicts with our data-minimisation
             commitments. 90 days was agreed instead and is in place (SEC-233).
         """},
    ],
}
