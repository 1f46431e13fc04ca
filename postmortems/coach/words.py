"""The coach's word lists: frozen data, edited here and nowhere else.

Given names, capitalised technology that is never a person, capitalised words that start
sentences but are never names, and the verbs and nouns the sentence-structure rules read
(postmortems/coach/structure.py). Data only: no logic, no imports beyond the standard library.
"""

# Common given names across the languages an engineering organisation speaks. Names that are also
# everyday words or technology (Will, May, Grace, Ruby, Julia, Cassandra, Hugo...) are left out.
GIVEN_NAMES = frozenset(
    """
    Aaron Abdul Abel Abigail Adam Adrian Aditya Agnes Ahmed Aisha Akira Alan Albert Alejandro Aleksandr
    Alex Alexander Alexandra Alexei Alfred Ali Alice Alicia Alison Amanda Amara Amelia Amir Amit Amy
    Ana Anders Andre Andrea Andreas Andrei Andrew Andy Angela Anika Anil Anita Ann Anna Anne Annika
    Anthony Anton Antonio Anya Arjun Arthur Arun Asha Ashley Astrid Aurora Ayesha Barbara Beatriz Ben
    Benjamin Bernard Beth Bianca Bjorn Bob Bobby Boris Brad Brandon Brenda Brian Bruno Bryan Camila
    Carl Carla Carlos Carmen Carol Caroline Catherine Cecilia Chandra Charles Charlie Charlotte Chen
    Chloe Chris Christian Christina Christine Christopher Claire Clara Claudia Colin Connor Craig
    Cristina Dagmar Daisuke Dan Dana Daniel Daniela Danielle Darius Dave David Deborah Deepak Denis
    Dennis Diana Diego Dimitri Dmitri Dmitry Dominic Donald Dora Doug Douglas Duncan Dylan Eddie
    Edward Elena Eli Elias Elif Elisa Elizabeth Ella Ellen Emil Emily Emma Emre Enrique Eric Erik Erin
    Ethan Eva Evan Eve Fabian Farah Fatima Felix Fernando Filip Fiona Florian Francesca Francesco
    Francisco Frank Freya Fred Gabriel Gabriela Gareth Gary George Georgia Gerald Gianluca Gina Giorgio
    Giulia Giuseppe Gloria Gordon Greg Gregory Gustavo Hamza Hana Hannah Hans Harold Harriet Harry
    Hassan Heather Heidi Helen Helena Henrik Henry Hiroshi Holly Hugh Hussein Ian Igor Ines Ingrid
    Irene Isaac Isabel Isabella Ivan Jack Jacob Jake James Jamie Jana Jane Janet Jason Javier
    Jean Jeff Jeffrey Jennifer Jenny Jeremy Jerome Jess Jessica Jim Jimmy Joan Joanna Joao Joe Joel
    Johan Johannes John Jon Jonas Jonathan Jorge Jose Josef Joseph Josh Joshua Juan Judith Julian
    Juliana Julie Julien Julius Justin Kai Kamal Karen Karim Karin Karl Kate Katherine Kathy
    Katie Katja Kavya Keith Kelly Ken Kenji Kenneth Kevin Khalid Kim Klaus Kofi Krishna Kristin
    Kumar Kurt Lakshmi Lars Laura Lauren Lea Leah Lena Leo Leon Leonardo Liam Lina Linda Lisa Liu
    Lorenzo Louis Louise Luca Lucas Lucia Lucy Luis Lukas Luke Magnus Malik Manuel Marc Marco Marcus
    Margaret Maria Mariana Marie Marina Mario Marion Marta Martha Martin Mary Mateo Matt Matteo
    Matthew Matthias Maya Megan Mehmet Mei Melissa Mia Michael Michelle Miguel Mike Mikhail Milan
    Ming Miriam Mohamed Mohammed Monica Nadia Nancy Naomi Natalia Natalie Nathan Neil Nick
    Nicolas Nicole Niels Nikhil Nikita Nina Noah Nora Olga Oliver Olivia Omar Oscar Otto Owen Pablo
    Pamela Paolo Patricia Patrick Paul Paula Pavel Pedro Peter Petra Philip Pierre Pooja Priya
    Rachel Rafael Rahul Raj Rajesh Ramon Raphael Raquel Rebecca Ricardo Richard Rick Riley Rita
    Rob Robert Roberto Robin Rohan Roman Ron Ronald Rosa Ryan Sabine Sam Samantha Samir Samuel Sandra
    Sara Sarah Sasha Satoshi Scott Sean Sebastian Sergei Sergey Sergio Shreya Simon Sofia Sonia
    Sophie Stefan Stefano Stephanie Stephen Steve Steven Susan Suresh Sven Takeshi Tamara Tanya
    Tariq Teresa Thomas Tim Timothy Tobias Tom Tomas Tony Tyler Valentina Vanessa Venkat Vera Victor
    Victoria Vijay Viktor Vincent Vivek Walter Wei Wendy William Xavier Xin Yan Yasmin Yuki Yusuf
    Yuri Zoe Zhang
    """.split()
)

# Technology that gets capitalised in prose; never a person, whatever the name lists say.
TECH_WORDS = frozenset(
    w.lower()
    for w in """
    Kubernetes Postgres PostgreSQL Redis Kafka Nginx MySQL Mongo MongoDB Elasticsearch Cassandra Jenkins
    Travis Docker Terraform Ansible Puppet Chef Consul Vault Nomad Envoy Istio Linkerd Helm Argo ArgoCD
    Grafana Prometheus Loki Sentry Datadog PagerDuty Opsgenie Slack GitHub GitLab Bitbucket Jira
    Confluence AWS GCP Azure Lambda Cloudflare Fastly Akamai Varnish HAProxy Traefik Caddy Apache Tomcat
    Jetty Django Rails Flask Celery Sidekiq RabbitMQ ZooKeeper Etcd CoreDNS Calico Cilium Karpenter
    Spark Hadoop Hive Presto Trino Airflow Dagster Snowflake BigQuery Redshift Memcached MariaDB SQLite
    Oracle Linux Ubuntu Debian Windows Chrome Firefox Safari Java Python Ruby Go Golang Rust Node Deno
    Julia Perl Scala Kotlin Swift Erlang Elixir Haskell Cron Systemd Kernel Git Npm Pip Maven Gradle
    Bazel Webpack Vercel Netlify Heroku Okta Stripe Twilio Sendgrid Mailgun Zendesk Salesforce Vitess
    Cockroach Spanner Dynamo DynamoDB Aurora Kinesis Pubsub Nats Pulsar Flink Beam Jaeger Zipkin Tempo
    Thanos Cortex Mimir Alertmanager Kibana Logstash Fluentd Vector Splunk Honeycomb Nagios Zabbix
    Icinga OpenStack Ceph Minio Keycloak Hugo Jekyll React Vue Angular Svelte Jest Mocha Karma Jasmine
    Cypress Selenium Playwright Flux Spinnaker Bamboo TeamCity Buildkite Drone Tekton Ada Alexa Siri
    Atlas Phoenix Hermes Apollo Orion Mercury Gemini Titan Ray Dask Celery Gunicorn Uvicorn Puma
    Unicorn Passenger Envoy Hystrix Resilience Consul Patroni Pgbouncer Pgpool Barman Sentinel
    """.split()
)

# Patterns here start with a character class (no \b, no IGNORECASE) so that re can skip ahead fast.
# Words that start sentences; capitalised, but never names.
NOT_NAMES = frozenset(
    w.lower()
    for w in """
    I We You He She They It Its Our Their His Her My Your The A An This That These Those There Here Then When
    While After Before During Since Until As At On In By For With Without Within From To Of Because If Once So
    But And Or Nor Yet Also However Meanwhile Later Earlier Finally First Second Third Next Eventually Soon
    Unfortunately Fortunately Luckily Initially Afterwards Instead Still Even Only Just Both Each Every All Some
    Someone Somebody Nobody Everyone Everybody Anyone Anybody None Nothing Something Everything Who What Which
    Where Why How Whoever Whatever Everything Today Yesterday Tomorrow Tonight Morning Evening Night Monday
    Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August September
    October November December Customers Users Engineers Responders Support Ops Management Security Finance Sales
    Legal Team Teams Everyone Thanks Thank Please Note Update Summary Impact Timeline Lessons Action Owner Status
    """.split()
)

# --- Sentence structure (postmortems/coach/structure.py) --------------------------------------
# Verbs whose subject did harm whatever the context: past tense -> past participle.
HARM_VERBS = {
    "deleted": "deleted", "truncated": "truncated", "wiped": "wiped", "purged": "purged",
    "destroyed": "destroyed", "erased": "erased", "overwrote": "overwritten", "clobbered": "clobbered",
    "broke": "broken", "crashed": "crashed", "corrupted": "corrupted", "misconfigured": "misconfigured",
    "mistyped": "mistyped", "misread": "misread", "mislabelled": "mislabelled", "mislabeled": "mislabeled",
    "botched": "botched", "bricked": "bricked", "took down": "taken down", "brought down": "brought down",
    "knocked over": "knocked over", "knocked out": "knocked out", "nuked": "nuked", "trashed": "trashed",
    "force-pushed": "force-pushed", "dropped": "dropped", "leaked": "leaked", "misrouted": "misrouted",
    "mis-deployed": "mis-deployed",
}
HARM_PARTICIPLES = frozenset(HARM_VERBS.values()) | {"broken", "taken down", "overwritten"}
# Everyday operations: blame only with a mark of fault ("by mistake", "without review").
NEUTRAL_VERBS = {
    "pushed": "pushed", "deployed": "deployed", "merged": "merged", "applied": "applied", "ran": "run",
    "executed": "executed", "restarted": "restarted", "rebooted": "rebooted", "rolled out": "rolled out",
    "shipped": "shipped", "released": "released", "approved": "approved", "changed": "changed",
    "edited": "edited", "modified": "modified", "updated": "updated", "upgraded": "upgraded",
    "migrated": "migrated", "promoted": "promoted", "rotated": "rotated", "reverted": "reverted",
    "committed": "committed", "scaled down": "scaled down", "turned off": "turned off",
    "switched off": "switched off", "shut down": "shut down", "removed": "removed",
    "disabled": "disabled", "killed": "killed", "stopped": "stopped", "enabled": "enabled",
    "flipped": "flipped", "toggled": "toggled", "triggered": "triggered", "kicked off": "kicked off",
    "cleared": "cleared", "renamed": "renamed", "moved": "moved", "granted": "granted", "revoked": "revoked",
    "rolled back": "rolled back", "started": "started", "configured": "configured", "set": "set",
}
NEUTRAL_PARTICIPLES = frozenset(NEUTRAL_VERBS.values())
# Steps a person can fail to take: base form -> past participle.
ACTION_VERBS = {
    "check": "checked", "test": "tested", "verify": "verified", "validate": "validated", "review": "reviewed",
    "read": "read", "notice": "noticed", "update": "updated", "renew": "renewed", "run": "run",
    "wait": "waited", "escalate": "escalated", "page": "paged", "tell": "told", "inform": "informed",
    "notify": "notified", "communicate": "communicated", "follow": "followed", "ask": "asked",
    "confirm": "confirmed", "back up": "backed up", "monitor": "monitored", "look at": "looked at",
    "document": "documented", "announce": "announced", "rotate": "rotated", "restart": "restarted",
    "roll back": "rolled back", "apply": "applied", "merge": "merged", "enable": "enabled",
    "configure": "configured", "patch": "patched", "upgrade": "upgraded", "lock": "locked", "flag": "flagged",
    "report": "reported", "acknowledge": "acknowledged", "respond to": "responded to", "answer": "answered",
    "hand over": "handed over", "mention": "mentioned", "warn": "warned", "double-check": "double-checked",
    "consult": "consulted", "coordinate": "coordinated", "schedule": "scheduled", "label": "labelled",
    "tag": "tagged", "pin": "pinned", "clean up": "cleaned up", "raise": "raised", "file": "filed",
    "revert": "reverted", "watch": "watched", "investigate": "investigated", "heed": "heeded",
    "share": "shared", "extend": "extended", "replace": "replaced", "disable": "disabled", "drain": "drained",
    "fail over": "failed over", "sign off": "signed off", "approve": "approved", "rerun": "rerun",
    "re-run": "re-run", "retest": "retested", "pause": "paused", "stop": "stopped", "remove": "removed",
    "add": "added", "set": "set", "deploy": "deployed", "push": "pushed", "create": "created",
    "close": "closed", "open": "opened", "install": "installed", "act on": "acted on",
}
# Verbs of not doing, with an object ("skipped the check"): past tense -> a neutral description.
SKIP_VERBS = {
    "skipped": "skipped", "missed": "missed", "ignored": "not acted on", "overlooked": "not noticed",
    "disregarded": "not acted on", "bypassed": "bypassed", "circumvented": "bypassed",
    "overrode": "overridden", "silenced": "silenced", "snoozed": "snoozed", "muted": "muted",
    "dismissed": "dismissed", "neglected": "left undone", "forgot": "not remembered",
}
# Faults and characters said of people.
FAULT_NOUNS = (
    "mistake mistakes fault blunder blunders oversight screw-up screwup slip-up slipup carelessness negligence "
    "laziness sloppiness incompetence ignorance inattention complacency recklessness lapse misjudgement "
    "misjudgment error errors failure failings"
).split()
TRAITS = (
    "lazy careless sloppy negligent incompetent reckless complacent lax cavalier inattentive overconfident "
    "arrogant naive naïve clueless hasty impatient distracted unprepared unfocused unprofessional "
    "irresponsible lackadaisical slapdash"
).split()
TRAIT_NOUNS = (
    "incompetence negligence carelessness laziness sloppiness complacency recklessness inattention "
    "indifference apathy laxity arrogance"
).split()
# Collective nouns for people, beside the role nouns ("the night shift", "the release crew").
GROUP_NOUNS = "shift shifts crew crews squad squads folks rotation rotations".split()
# Capitalised vendors and bots that act in sentences but are not people.
NOT_PEOPLE = frozenset(
    w.lower() for w in """
    Google Amazon Microsoft Apple Meta Dependabot Renovate Copilot Actions Kubelet Autoscaler Cloud Storage
    Lifecycle Policy Scheduler Service Job Bot Script Pipeline Deploy Deployment Release Build CI CD Staging
    Production Prod Checkout Payments Billing Search Auth Gateway Proxy Cache Queue Worker Workers
    """.split()
)
