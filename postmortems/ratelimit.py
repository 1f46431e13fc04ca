"""Per-user rate limits for the endpoints the editor calls as people type (preview, coach, timeline paste).

Each call is counted with one atomic upsert in the database (RateCounter), so the count holds across
gunicorn workers without Redis. A window opens with a user's first call and lasts WINDOW_SECONDS;
over the limit, the endpoint answers 429 with Retry-After and a message the editor shows. Limits come
from the environment (settings.RATE_LIMITS).
"""

import math
import time
from functools import wraps

from django.conf import settings
from django.db import connection

from postmortems.models import RateCounter

WINDOW_SECONDS = 60


def spend(*, scope: str, user_id: int, limit: int) -> int:
    """Count one call of `scope` by `user_id`; return 0 if it is within `limit` a window, else seconds to wait."""
    now = time.time()
    opens, ends = int(now), int(now) + WINDOW_SECONDS
    table, key = connection.ops.quote_name(RateCounter._meta.db_table), connection.ops.quote_name("key")
    with connection.cursor() as cursor:
        # Both engines evaluate every SET expression against the row as it was, so the two CASEs agree.
        cursor.execute(
            f"""INSERT INTO {table} ({key}, hits, window_ends) VALUES (%s, 1, %s)
                ON CONFLICT ({key}) DO UPDATE SET
                    hits = CASE WHEN {table}.window_ends <= %s THEN 1 ELSE {table}.hits + 1 END,
                    window_ends = CASE WHEN {table}.window_ends <= %s THEN %s ELSE {table}.window_ends END
                RETURNING hits, window_ends""",
            [f"{scope}:{user_id}", ends, opens, opens, ends],
        )
        hits, window_ends = cursor.fetchone()
    if hits <= limit:
        return 0
    return max(1, math.ceil(window_ends - now))


def rate_limited(scope: str, refuse):
    """Limit a view to settings.RATE_LIMITS[scope] calls a window per signed-in user.

    Over the limit the view is not run; `refuse(request, limit, wait)` answers instead (the decorator
    makes it a 429 with Retry-After). Anonymous requests pass through: the view turns them away itself.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.is_authenticated:
                limit = settings.RATE_LIMITS[scope]
                wait = spend(scope=scope, user_id=request.user.pk, limit=limit)
                if wait:
                    response = refuse(request, limit, wait)
                    response.status_code = 429
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def seconds(wait: int) -> str:
    return f"{wait} second{'s' if wait != 1 else ''}"
