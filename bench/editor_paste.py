"""Time the editor in Chromium with a long timeline: adding 2,000 pasted events, then saving them.

    .venv/bin/python bench/editor_paste.py                 # 2,000 events, 3 rounds, SQLite in /tmp
    .venv/bin/python bench/editor_paste.py --events 500 --rounds 5

Serves Hindsight from a thread on 127.0.0.1 (a fresh SQLite file), signs an author in with Debian's
Chromium (headless), pastes one line per event into the timeline paste box and previews it, then
measures, per round:

- add: from clicking "Add 2,000 events to the timeline" until the last row is in the page and the
  browser has painted the next frame; the rows go in in batches, one task each, so the page keeps
  answering meanwhile: "longest task" is the longest the page was frozen (Chromium's long tasks);
- save: from clicking Save until the server has answered (validation, merge, writes, revision,
  search index and coach refresh), and until the editor has reopened showing "Saved." (that
  answer plus loading the editor with every row again).

Prints each round and the median. Each round starts from an empty timeline.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "bench-password-1"


def serve(port: int) -> threading.Thread:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", port), QuietHandler, allow_reuse_address=True)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def setup_data():
    from datetime import UTC, datetime

    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from postmortems import services
    from postmortems.models import Template

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password=PASSWORD, first_name="Bench")
    user.groups.add(Group.objects.get(name="Authors"))
    return services.postmortem_create(
        user=user, template=Template.objects.get(slug="lightweight"), title="Paste benchmark", severity="sev2",
        started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )


def paste_text(events: int) -> str:
    lines = []
    for i in range(events):
        day, minute = divmod(i, 24 * 60)
        lines.append(f"2024-03-{1 + day:02d} {minute // 60:02d}:{minute % 60:02d} step {i}")
    return "\n".join(lines)


def round_(page, base: str, slug: str, events: int) -> tuple[float, float]:
    page.goto(f"{base}/postmortems/{slug}/edit/")
    page.get_by_text("Paste from a chat log or a table").click()
    page.locator("#timeline-paste").evaluate("(box, text) => { box.value = text; }", paste_text(events))
    page.get_by_role("button", name="Preview events").click()
    add = page.get_by_role("button", name=f"Add {events:,} events to the timeline".replace(",", ""))
    add.wait_for()
    timing = page.evaluate(
        """(events) => new Promise((done) => {
            const tasks = [];
            const observer = new PerformanceObserver(
                (list) => list.getEntries().forEach((e) => tasks.push(e.duration)));
            observer.observe({ entryTypes: ["longtask"] });
            const formset = document.querySelector("[data-formset='events']");
            const button = [...document.querySelectorAll("[data-paste-preview] button")].pop();
            const start = performance.now();
            formset.addEventListener("hindsight:rows-added", () => {
                requestAnimationFrame(() => setTimeout(() => {
                    const total = performance.now() - start;
                    observer.takeRecords().forEach((e) => tasks.push(e.duration));
                    observer.disconnect();
                    const rows = formset.querySelectorAll("[data-formset-row]").length;
                    done({ total, longest: Math.max(0, ...tasks), rows });
                }, 0));
            }, { once: true });
            button.click();
        })""",
        events,
    )
    assert timing["rows"] > events, timing
    # CSS, not roles: Playwright's role queries walk the accessibility tree of 2,000 rows.
    save = page.locator(".editor__save button[type=submit]:not([name])")
    started = time.perf_counter()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/edit/"),
                              timeout=600_000):
        save.click()
    request_ms = (time.perf_counter() - started) * 1000
    page.locator(".messages .message--success, .messages li").first.wait_for(timeout=600_000)
    text = page.locator(".messages").inner_text()
    assert "Saved." in text, text
    save_ms = (time.perf_counter() - started) * 1000
    return timing["total"], timing["longest"], request_ms, save_ms


def clear_timeline(postmortem) -> None:
    from postmortems import services

    postmortem.refresh_from_db()
    doc = services.document_of(postmortem)
    doc["timeline"] = []
    services.postmortem_save(postmortem=postmortem, user=None, base_version=postmortem.version, document=doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH") or shutil.which("chromium"))
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="hs_bench_editor_")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/db.sqlite3"
    os.environ["DEBUG"] = "1"  # plain static files from the source folders
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    postmortem = setup_data()
    serve(args.port)
    base = f"http://127.0.0.1:{args.port}"

    from playwright.sync_api import sync_playwright

    adds, freezes, requests, saves = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill("bench")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        for number in range(1, args.rounds + 1):
            clear_timeline(postmortem)
            add_ms, longest_ms, request_ms, save_ms = round_(page, base, postmortem.slug, args.events)
            count = postmortem.timeline_events.count()
            assert count == args.events, f"saved {count} events, expected {args.events}"
            adds.append(add_ms)
            freezes.append(longest_ms)
            requests.append(request_ms)
            saves.append(save_ms)
            print(f"round {number}: add {args.events} events {add_ms:.0f} ms (longest task {longest_ms:.0f} ms), "
                  f"save answered {request_ms:.0f} ms, reopened {save_ms:.0f} ms", flush=True)
        browser.close()
    print(f"median of {args.rounds}: add {statistics.median(adds):.0f} ms (longest task "
          f"{statistics.median(freezes):.0f} ms), save answered {statistics.median(requests):.0f} ms, "
          f"reopened {statistics.median(saves):.0f} ms")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
