"""The demo archive of Larkspur, a fictional online grocer: one module per incident, plus the links
between them and the reading lists through them. All times are UTC; all people appear by role."""

from postmortems.demo_data import (
    analytics_replica_lag,
    catalogue_cache_stampede,
    cdn_certificate_expiry,
    checkout_retry_storm,
    driver_api_dns,
    duplicate_reminder_emails,
    helpdesk_token_exposure,
    kafka_certificate_expiry,
    mobile_retry_storm,
    orders_db_connections,
    orders_migration_lock,
    payments_node_upgrade,
    promo_flag_all_regions,
)

POSTMORTEMS = [
    checkout_retry_storm.POSTMORTEM,
    cdn_certificate_expiry.POSTMORTEM,
    driver_api_dns.POSTMORTEM,
    orders_db_connections.POSTMORTEM,
    orders_migration_lock.POSTMORTEM,
    analytics_replica_lag.POSTMORTEM,
    mobile_retry_storm.POSTMORTEM,
    kafka_certificate_expiry.POSTMORTEM,
    duplicate_reminder_emails.POSTMORTEM,
    helpdesk_token_exposure.POSTMORTEM,
    payments_node_upgrade.POSTMORTEM,
    catalogue_cache_stampede.POSTMORTEM,
    promo_flag_all_regions.POSTMORTEM,
]

# (source slug, target slug, note): explicit links, shown on both write-ups.
RELATED_LINKS = [
    (mobile_retry_storm.POSTMORTEM["slug"], checkout_retry_storm.POSTMORTEM["slug"],
     "Same failure mode: client retries without backoff amplified a short server problem."),
    (kafka_certificate_expiry.POSTMORTEM["slug"], cdn_certificate_expiry.POSTMORTEM["slug"],
     "Second certificate expiry in a year; the inventory started after the first "
     "had not reached internal certificates."),
]

READING_LISTS = [
    {
        "slug": "start-here",
        "title": "Start here: incidents every new engineer should read",
        "description": """
            Five write-ups that explain how Larkspur's systems behave under stress, chosen by the
            facilitators for everyone in their first month. Read them in order; each takes about ten
            minutes. Look for the moment in each story where a reasonable reading of the evidence turned
            out to be incomplete.
        """,
        "for_new_hires": True,
        "days_ago": 60,
        "items": [
            (checkout_retry_storm.POSTMORTEM["slug"], """
                Our largest outage of the last two years, and the origin of the retry budget rule you will
                meet in design reviews. Notice how each layer's retry policy was sensible on its own.
            """),
            (orders_migration_lock.POSTMORTEM["slug"], """
                Why every migration runs with a lock timeout, and why the migration linter in CI exists.
                The response section shows a good decision made under pressure: wait for certainty before
                cancelling a schema change.
            """),
            (cdn_certificate_expiry.POSTMORTEM["slug"], """
                A failure that announces its date a year in advance. Read it for how ownership quietly
                disappears in a reorganisation, then read the Kafka certificate expiry linked from it.
            """),
            (driver_api_dns.POSTMORTEM["slug"], """
                The DNS cut-over checklist you will use comes from this one. It also shows how a plan that
                has worked twelve times shapes the way people read an odd graph.
            """),
            (analytics_replica_lag.POSTMORTEM["slug"], """
                Our clearest example of alert fatigue. Before you add an alert, ask what someone should do
                when it fires.
            """),
        ],
    },
    {
        "slug": "data-and-databases",
        "title": "Data and databases",
        "description": """
            For engineers working on anything that talks to `orders-db` or Kafka: connection budgets,
            locks, replicas and event pipelines, as our incidents taught them.
        """,
        "for_new_hires": False,
        "days_ago": 45,
        "items": [
            (orders_db_connections.POSTMORTEM["slug"], """
                How autoscaling spends a database's connection budget, and the per-application view that
                now makes it visible.
            """),
            (orders_migration_lock.POSTMORTEM["slug"], """
                Lock levels of ALTER TABLE forms, and what they mean on a 62-million-row table.
            """),
            (analytics_replica_lag.POSTMORTEM["slug"], """
                What `max_standby_streaming_delay` trades away, and why consumers of data need to know
                how old it is.
            """),
            (duplicate_reminder_emails.POSTMORTEM["slug"], """
                At-least-once delivery in practice: what a consumer group rebalance does to a slow batch.
            """),
            (kafka_certificate_expiry.POSTMORTEM["slug"], """
                The order pipeline from Kafka to the warehouses, and what happens when its consumers
                cannot authenticate.
            """),
        ],
    },
]
