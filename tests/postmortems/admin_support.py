"""Helpers for the admin tests: submit admin forms the way a browser would, run changelist actions."""

from datetime import timedelta
from html.parser import HTMLParser

from django.utils import timezone

ADMIN = "/admin/"
PM_LIST = "/admin/postmortems/postmortem/"


class _FormParser(HTMLParser):
    """Collect the successful controls of the form with id `form_id` (as a browser would submit them)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: list[tuple[str, str]] = []
        self._textarea = None
        self._select = None
        self._select_values: list[str] = []
        self._option = None
        self._first_option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._select_values = []
            self._first_option = None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._select_values.append(value)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.data.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select:
            name, multiple = self._select
            values = self._select_values
            if not values and not multiple and self._first_option is not None:
                values = [self._first_option]
            self.data.extend((name, v) for v in values)
            self._select = None


def form_data(response, form_id: str) -> dict[str, list[str]]:
    """Return the data a browser would submit from the form `form_id` on `response`'s page."""
    parser = _FormParser(form_id)
    parser.feed(response.content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        if "__prefix__" in name:
            continue
        data.setdefault(name, []).append(value)
    return data


def act(client, url: str, action: str, objects, **extra):
    """Run the changelist action `action` on `objects` from the list at `url`."""
    data = {"action": action, "_selected_action": [o.pk for o in objects], "index": "0", **extra}
    return client.post(url, data)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def days_ago(n: float):
    return timezone.now() - timedelta(days=n)
