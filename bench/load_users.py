"""The people bench/load.py sends at Hindsight (a locustfile; bench/load.py runs it, see there).

Readers browse, read and search; authors open their own draft in the editor and save it; facilitators
go through the review queue, the post-mortems in review and the insights. Each simulated person is
already signed in (a session made by bench/load.py, as people stay signed in for weeks), talks to
gunicorn as nginx would (X-Forwarded-Proto: https) and waits 0 s (LOAD_PAUSES=0) or 2–5 s between pages.
"""

import itertools
import json
import os
import random
import re
import string
from html.parser import HTMLParser
from urllib.parse import urlencode

from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser

FIXTURE = json.loads(open(os.environ["LOAD_FIXTURE"]).read())
PAUSES = os.environ.get("LOAD_PAUSES", "1") == "1"
SEARCHES = ["checkout", "database", "certificate", "retry storm", "dns", "cache", "connection pool", "deploy",
            "memory leak", "replica lag", "timeout", "payments", "queue backlog", "vendor outage", "rollback"]
_sessions = {role: itertools.cycle(keys) for role, keys in FIXTURE["sessions"].items()}
_drafts = itertools.cycle(FIXTURE["drafts"])  # [slug, a session of its author]


class FormFields(HTMLParser):
    """Collect what a browser would post from the largest POST form of a page."""

    def __init__(self):
        super().__init__()
        self.forms, self.fields, self.textarea, self.select, self.option = [], None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self.fields = []
        elif self.fields is None:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type", "text") not in ("submit", "button", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = [attrs["name"], ""]
        elif tag == "select" and attrs.get("name"):
            self.select = [attrs["name"], None]
        elif tag == "option" and self.select is not None:
            if self.select[1] is None or "selected" in attrs:
                self.select[1] = attrs.get("value", "")

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if self.fields is None:
            return
        if tag == "textarea" and self.textarea:
            self.fields.append(tuple(self.textarea))
            self.textarea = None
        elif tag == "select" and self.select:
            self.fields.append((self.select[0], self.select[1] or ""))
            self.select = None
        elif tag == "form":
            self.forms.append(self.fields)
            self.fields = None


def editor_fields(html: str) -> list[tuple[str, str]]:
    parser = FormFields()
    parser.feed(html)
    return max(parser.forms, key=len)


class Person(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(2, 5) if PAUSES else constant(0)

    def on_start(self):
        self.sign_in(next(_sessions[self.role]))

    def sign_in(self, session_key):
        # Cookies are sent by hand: FastHttpUser's cookie jar does not send cookies to an IP address. The
        # CSRF secret is this person's own, as a browser keeps the one it was given.
        self.csrf = "".join(random.choices(string.ascii_letters + string.digits, k=32))
        self.headers = {"X-Forwarded-Proto": "https", "Cookie": f"sessionid={session_key}; csrftoken={self.csrf}"}

    def page(self, path, name, **kwargs):
        with self.client.get(path, name=name, headers=self.headers, catch_response=True, allow_redirects=False,
                             **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")
            return response


class Reader(Person):
    role = "reader"
    weight = 7

    @task(3)
    def read_a_postmortem(self):
        self.page(f"/postmortems/{random.choice(FIXTURE['published'])}/", "post-mortem")

    @task(2)
    def search(self):
        self.page(f"/search/?q={random.choice(SEARCHES).replace(' ', '+')}", "search")

    @task(1)
    def home(self):
        self.page("/", "home")

    @task(1)
    def browse_the_list(self):
        self.page(random.choice(["/postmortems/", "/postmortems/?page=2", "/postmortems/?severity=sev1"]), "list")

    @task(1)
    def browse_a_tag(self):
        self.page(random.choice(["/tags/", f"/tags/{random.choice(FIXTURE['tags'])}/"]), "tags")

    @task(1)
    def action_items(self):
        self.page("/action-items/", "action items")


class Author(Person):
    role = "author"
    weight = 2

    def on_start(self):
        self.draft, session_key = next(_drafts)  # each author has a draft of their own, as people do
        self.sign_in(session_key)

    @task(3)
    def edit_and_save_the_draft(self):
        path = f"/postmortems/{self.draft}/edit/"
        editor = self.page(path, "editor")
        if editor.status_code != 200:
            return
        fields = [(name, self.csrf if name == "csrfmiddlewaretoken" else value)
                  for name, value in editor_fields(editor.text)]
        summary = next((i for i, (name, _) in enumerate(fields) if re.search(r"(^|-)summary$", name)), None)
        if summary is not None:
            name, value = fields[summary]
            fields[summary] = (name, f"{value.strip()} Checked again at {random.randrange(10**6)}.")
        origin = self.host.replace("http://", "https://", 1)  # as the browser sees it, through nginx
        headers = {**self.headers, "Referer": origin + path, "Origin": origin,
                   "Content-Type": "application/x-www-form-urlencoded"}
        with self.client.post(path, data=urlencode(fields), name="save draft", allow_redirects=False,
                              catch_response=True, headers=headers) as response:
            if response.status_code != 302:
                response.failure(f"save answered {response.status_code}")

    @task(1)
    def read_the_draft(self):
        self.page(f"/postmortems/{self.draft}/", "post-mortem")

    @task(1)
    def home(self):
        self.page("/", "home")


class Facilitator(Person):
    role = "facilitator"
    weight = 1

    @task(2)
    def review_queue(self):
        self.page("/admin/postmortems/postmortem/?queue=review", "review queue")

    @task(3)
    def read_one_in_review(self):
        self.page(f"/postmortems/{random.choice(FIXTURE['in_review'])}/", "post-mortem")

    @task(1)
    def history(self):
        self.page(f"/postmortems/{random.choice(FIXTURE['in_review'])}/history/", "history")

    @task(1)
    def insights(self):
        self.page("/insights/", "insights")
