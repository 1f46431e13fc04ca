from django.conf import settings
from django.http import QueryDict
from django.utils import timezone


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own time zone (stored in UTC).

    The zone is a DisplayZone, the server's one included, so a stored time that the local calendar
    cannot hold (past year 9999 or before year 1 once converted) shows in UTC instead of failing
    the page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from postmortems.models import DisplayZone, Profile

        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            profile = Profile.objects.filter(user=user).only("time_zone").first()
            if profile and profile.time_zone:
                zone = profile.tzinfo()
        timezone.activate(zone or DisplayZone(settings.TIME_ZONE))
        return self.get_response(request)


class QueryNullCharacterMiddleware:
    """Replace NUL characters in query parameters with U+FFFD before any view reads them.

    PostgreSQL cannot store or compare text holding NUL, so `?team=%00` would reach a query and fail
    with a 500. The replacement character keeps the value distinct, so it matches nothing, as any
    other unknown value would. Form fields refuse NUL in POST bodies themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", "\ufffd"), [v.replace("\x00", "\ufffd") for v in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Pages for a signed-in user say `Cache-Control: no-store`, unless the view chose its own caching.

    A shared computer's browser cache, or a proxy, must not keep what one person was allowed to read.
    Static files never get here (whitenoise answers them first); the feed is read without signing in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
