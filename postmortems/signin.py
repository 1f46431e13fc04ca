"""Sign-in throttling with django-axes: failures are counted per username and per network address.

A username is locked after SIGNIN_FAILURE_LIMIT failures within the cool-off; an address after the
larger SIGNIN_ADDRESS_FAILURE_LIMIT (many people may share one office or VPN address). While locked,
even the right password is refused, on the site's sign-in page and the admin's alike, and every
further failure starts the cool-off again. The settings module wires these in (AXES_*).
"""

import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Sum
from django.forms.utils import ErrorDict
from django.http import HttpResponse
from django.template.response import TemplateResponse


class SignInThrottleBackend(AxesStandaloneBackend):
    """Refuse sign-in while the username or the address is locked out (authentication is left to the next backend).

    Authentication without a request (Django's test client, a shell) has nothing to count by and is
    let through to the next backend; every sign-in form passes the request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SignInHandler(AxesDatabaseHandler):
    """Axes's database handler (it works across gunicorn workers) with one limit per username, another per address."""

    def get_failures(self, request, credentials=None) -> int:
        by_username, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if by_address >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
            return max(by_username, settings.AXES_FAILURE_LIMIT)
        return by_username


def client_address(request) -> str:
    """Return the address a request came from, behind TRUSTED_PROXIES proxies that append to X-Forwarded-For."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(chain) >= proxies:
            remote = chain[-proxies]
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return "0.0.0.0"  # noqa: S104 (not a bind address: where an unreadable address is counted)


def cool_off_minutes() -> int:
    return math.ceil(get_cool_off().total_seconds() / 60)


def lockout_message() -> str:
    minutes = cool_off_minutes()
    return (
        "Too many failed sign-ins for this username or from your network address. Signing in is paused "
        f"for {minutes} minute{'s' if minutes != 1 else ''}: try again then, or ask an administrator to "
        "unlock it. Each further attempt starts the wait again."
    )


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """Show the sign-in page it came from (the site's or the admin's) with the lockout message, as 429."""
    seconds = str(int(get_cool_off().total_seconds()))
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if isinstance(original_response, TemplateResponse) and form is not None:
        form._errors = ErrorDict()
        form.add_error(None, lockout_message())
        response = TemplateResponse(request, original_response.template_name, context, status=429).render()
    else:
        response = HttpResponse(lockout_message(), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = seconds
    return response
