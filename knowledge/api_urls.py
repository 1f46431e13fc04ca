from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from knowledge.api import api, api_docs


def _own_authentication(view):
    """Let the API's views past the sign-in redirect: they authenticate each request themselves (token or
    session) and answer 401 problem details, never a redirect to the sign-in page."""

    @login_not_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return wrapped


_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = _own_authentication(_pattern.callback)

urlpatterns = [
    path("api/v1/docs/", api_docs, name="api_docs"),
    path("api/v1/", (_patterns, _app_name, _namespace)),
]

