POSTMORTEM = {
    "slug": "dublin-promotion-shown-to-every-region",
    "title": "A Dublin-only promotion was shown to customers in every region",
    "summary": """
        A feature-flag targeting rule saved with an empty region list showed the Dublin launch offer
        ("€10 off your first order") to every customer for 35 minutes. Customers outside Dublin who tried
        the code had it rejected at checkout.
    """,
    "severity": "sev4",
    "status": "draft",
    "template": "lightweight",
    "days_ago": 5,
    "started": "09:00",
    "detected": "09:20",
    "mitigated": "09:35",
    "resolved": "10:05",
    "written": "+1 15:00",
    "teams": ["checkout"],
    "tags": ["feature-flags", "config-change", "web-shop", "promotions"],
    "authors": ["author"],
    "sections": {
        "Summary": """
            From 09:00 to 09:35 UTC the home page banner for our Dublin launch offer appeared for every
            customer in every region. About 1,900 customers outside Dublin tried the code; checkout
            rejected it because the offer itself was correctly limited to Dublin addresses. Support
            received 380 contacts, and we sent a £5 credit to each customer who tried the code.
        """,
        "What happened": """
            The marketing team schedules banners with our feature-flag service. The Dublin banner was set
            up the day before with a targeting rule of "region is one of: Dublin". At 08:55 the rule was
            edited to change the start time, and the edit form reloaded the region picker without its
            saved value. The rule was saved with an empty region list.

            Our flag service reads "region is one of: (nothing)" as "no region condition", which means
            everyone. The editor gave no warning and showed no estimate of the audience.

            *Draft: detection, the rollback and what we learned still to write.*
        """,
    },
    "timeline": [
        ("-1 16:00", "action", "Dublin banner scheduled with the rule region is one of: Dublin."),
        ("08:55", "action", "Start time edited; rule saved with an empty region list."),
        ("09:00", "observation", "Banner shown to all regions."),
        ("09:20", "detection", "Support reports customers in London and Leeds asking about a euro offer."),
        ("09:35", "mitigation", "Banner flag turned off."),
        ("09:50", "communication", "Support given a reply and a £5 credit for affected customers."),
        ("10:05", "resolution", "Rule corrected to Dublin and banner re-enabled."),
    ],
    "factors": [
        ("tooling", "The flag editor lost the saved region list when the form reloaded."),
        ("design", "An empty region list in a targeting rule matches every customer."),
    ],
    "action_items": [
        {"title": "Show the audience size and a confirmation before saving a targeting rule",
         "kind": "prevent", "priority": "medium", "owner": "author", "due": 21, "status": "open"},
        {"title": "Reject targeting rules with an empty value list in the flag service",
         "kind": "prevent", "priority": "high", "owner": "author2", "due": 10, "status": "in_progress",
         "tracker": "https://tracker.example.com/CHK-1288"},
    ],
}
