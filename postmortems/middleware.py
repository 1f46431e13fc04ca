from django.utils import timezone


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own time zone (stored in UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from postmortems.models import Profile

            profile = Profile.objects.filter(user=user).only("time_zone").first()
            if profile and profile.time_zone:
                timezone.activate(profile.tzinfo())
            else:
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
