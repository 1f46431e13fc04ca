"""The library's full-text search: one interface, one backend per database engine.

`index_postmortem` is called by postmortems.services in the same transaction as every save.
"""


def index_postmortem(postmortem) -> None:
    """Bring the search index up to date with `postmortem` (the engine backends fill this in)."""


def remove_postmortem(postmortem_id: int) -> None:
    """Drop `postmortem_id` from the search index."""
