from django.utils.functional import SimpleLazyObject

from postmortems import notifications


def inbox(request):
    """Give every page the signed-in person's unread notification count (one query), for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: notifications.unread_count(user))}
