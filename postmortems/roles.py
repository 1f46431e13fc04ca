"""The three roles, as permissions (the groups Readers, Authors and Facilitators carry them)."""

READERS = "Readers"
AUTHORS = "Authors"
FACILITATORS = "Facilitators"


def is_facilitator(user) -> bool:
    return user.is_authenticated and user.has_perm("postmortems.publish_postmortem")


def is_author(user) -> bool:
    return user.is_authenticated and user.has_perm("postmortems.add_postmortem")
