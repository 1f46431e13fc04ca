"""The facilitator's desk (Django's admin, for facilitators only), one module per area.

- common.py: what every page shares, for both apps (help texts, bounded date drill-down, list
  counts, the intermediate page of actions that ask for a comment or a reason); widgets.py: the
  autocomplete that never lists what it should not.
- postmortems.py: post-mortems, the review queue and the review actions.
- action_items.py, templates.py, taxonomy.py (factor categories, teams), language.py (the coach's
  rules and what it recorded), history.py (revisions), users.py (people and role groups).

The admin holds no write path of its own: every change goes through postmortems.services (tags,
reading lists and related links through knowledge.services, in knowledge/admin.py).
"""

from postmortems.admin import (  # noqa: F401  # noqa: F401
    action_items,
    api_tokens,
    history,
    language,
    postmortems,
    taxonomy,
    templates,
    users,
    webhooks,
)
from postmortems.admin.postmortems import PostMortemAdmin  # noqa: F401
