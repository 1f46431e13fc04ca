"""Load the demo company: users for each role, teams and demo post-mortems. Idempotent."""

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from knowledge.demo import load_demo_postmortems
from postmortems.models import Team

DEMO_PASSWORD = "hindsight-demo"
DEMO_USERS = [
    # username, first, last, group, staff
    ("reader", "Riley", "Nakamura", "Readers", False),
    ("author", "Amara", "Okafor", "Authors", False),
    ("author2", "Bruno", "Castellanos", "Authors", False),
    ("facilitator", "Freya", "Lindqvist", "Facilitators", True),
]
DEMO_TEAMS = [
    ("Payments", "payments"),
    ("Platform", "platform"),
    ("Checkout", "checkout"),
    ("Data", "data"),
    ("Identity", "identity"),
    ("Mobile", "mobile"),
]


class Command(BaseCommand):
    help = "Create demo users (one per role), teams and demo post-mortems. Running it again changes nothing."

    @transaction.atomic
    def handle(self, *args, **options):
        for username, first, last, group, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_staff": staff,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get(name=group))
        for name, slug in DEMO_TEAMS:
            Team.objects.get_or_create(slug=slug, defaults={"name": name})
        created = load_demo_postmortems()
        self.stdout.write(f"Demo post-mortems: {created} created.")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for username, first, last, group, _ in DEMO_USERS:
            self.stdout.write(f"  {group[:-1]:<12} {username:<12} ({first} {last})")
        self.stdout.write("")
