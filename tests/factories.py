"""Plain helpers for making test data: import them from here (conftest.py builds its fixtures on them)."""

from django.contrib.auth.models import Group, User

PASSWORD = "correct-horse-battery"


def make_user(username, group=None, *, staff=False, first_name="", last_name=""):
    """Return a new user signed up with PASSWORD, in role group `group` (a name) if given."""
    user = User.objects.create_user(
        username, f"{username}@example.com", PASSWORD, first_name=first_name, last_name=last_name
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user
