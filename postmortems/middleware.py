from django.conf import settings
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
