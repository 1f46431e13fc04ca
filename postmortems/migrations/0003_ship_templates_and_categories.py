from django.db import migrations

# (heading, kind, required, guidance). Prompts ask what and how, never who and why.
STANDARD = [
    ("Summary", "summary", True,
     "In two or three sentences: what happened, how long it lasted, and what it meant for the people "
     "who rely on the system."),
    ("Impact", "impact", True,
     "What did customers and colleagues experience? How many were affected, for how long, and what did "
     "it cost (requests failed, data delayed, revenue, support load)?"),
    ("What happened", "narrative", True,
     "Tell the story in order. What did the people involved see, what did they know at that moment, "
     "and what made each next step seem reasonable at the time? Name people by role."),
    ("Detection", "narrative", False,
     "How did we find out: an alert, a customer, a colleague? What signal came first, and what would "
     "have shown it sooner?"),
    ("Response and recovery", "narrative", False,
     "What was tried, in what order, and how did the responders decide? What helped the system "
     "recover, and what slowed the recovery down?"),
    ("What went well", "narrative", False,
     "Which tools, habits and pieces of the system helped? What should we keep doing?"),
    ("What was difficult", "narrative", False,
     "Where did the responders struggle: missing information, confusing dashboards, unclear ownership, "
     "tooling that got in the way?"),
    ("Where we got lucky", "narrative", False,
     "What went right by chance rather than by design? Those are the next incident's risks."),
    ("Lessons learned", "lessons", False,
     "What does this incident teach someone who was not there? What do we understand now about how the "
     "system really behaves?"),
    ("Supporting information", "supporting", False,
     "Links to dashboards, logs, chat transcripts, graphs and related documents."),
]
LIGHTWEIGHT = [
    ("Summary", "summary", True,
     "What happened, how long it lasted, and who or what was affected (by role and system)?"),
    ("What happened", "narrative", True,
     "The story in order: what was seen, what was done, and how it made sense at the time."),
    ("What we learned", "lessons", False,
     "What does this teach us about the system and how we work with it?"),
]
SECURITY = [
    ("Summary", "summary", True,
     "What was exposed or at risk, for how long, and what is the state now? Keep sensitive detail to "
     "what readers of this restricted write-up need."),
    ("Impact", "impact", True,
     "Which data, systems and customers were affected? What obligations (notification, regulators) "
     "follow, and how were they met?"),
    ("Detection", "narrative", True,
     "How was the issue found: monitoring, a report, an external party? What signals existed earlier?"),
    ("What happened", "narrative", True,
     "The sequence of events as understood now: the weakness, how it was reached, and what the "
     "responders knew at each step. Name people by role."),
    ("Containment and eradication", "narrative", True,
     "What was done to stop the exposure and remove the cause? How do we know it worked?"),
    ("Recovery", "narrative", False,
     "How were systems, credentials and data restored to a trusted state?"),
    ("Lessons learned", "lessons", False,
     "What do we understand now about our defences and how they behave under attack?"),
    ("Supporting information", "supporting", False,
     "Indicators, advisories, tickets and evidence (stored where access is controlled)."),
]
TEMPLATES = [
    ("Standard", "standard", 0,
     "The full write-up, after the Google SRE book and PagerDuty's post-mortem guide. For SEV1 and SEV2.",
     STANDARD),
    ("Lightweight", "lightweight", 1, "A short write-up for smaller incidents and near misses.", LIGHTWEIGHT),
    ("Security incident", "security-incident", 2,
     "For security incidents. Start these restricted; publish more widely once it is safe.", SECURITY),
]
CATEGORIES = [
    ("Change", "change", "A deploy, configuration change, migration or upgrade that altered behaviour."),
    ("Capacity", "capacity", "Load, limits, quotas or resource exhaustion."),
    ("Dependency", "dependency", "An upstream service, vendor, library or shared platform behaving unexpectedly."),
    ("Detection", "detection", "Signals that were missing, late, noisy or misleading."),
    ("Tooling", "tooling", "Tools, automation or dashboards that got in the way or did something surprising."),
    ("Process", "process", "How work is planned, reviewed, handed over or rolled out."),
    ("Communication", "communication", "Information that did not reach the people who needed it in time."),
    ("Knowledge", "knowledge", "Understanding of the system that was missing, outdated or held by few."),
    ("Design", "design", "Architecture or defaults that made the failure possible or worse."),
]


def ship(apps, schema_editor):
    Template = apps.get_model("postmortems", "Template")
    TemplateSection = apps.get_model("postmortems", "TemplateSection")
    FactorCategory = apps.get_model("postmortems", "FactorCategory")
    for name, slug, position, description, sections in TEMPLATES:
        template, created = Template.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position, "description": description}
        )
        if created:
            for index, (heading, kind, required, guidance) in enumerate(sections):
                TemplateSection.objects.create(
                    template=template, position=index, heading=heading, kind=kind, required=required,
                    guidance=guidance,
                )
    for index, (name, slug, description) in enumerate(CATEGORIES):
        FactorCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": index}
        )


def unship(apps, schema_editor):
    apps.get_model("postmortems", "Template").objects.filter(slug__in=[t[1] for t in TEMPLATES]).delete()
    apps.get_model("postmortems", "FactorCategory").objects.filter(slug__in=[c[1] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0002_create_role_groups")]
    operations = [migrations.RunPython(ship, unship)]
