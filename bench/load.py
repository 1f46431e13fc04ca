"""Load test: many people at once against gunicorn with production settings, measured with locust.

Starts gunicorn itself (gunicorn.conf.py, DEBUG off, collected static files, whitenoise) on the database
named by DATABASE_URL (PostgreSQL; a fresh database), fills it once with the demo company plus --extra
published post-mortems (generated Markdown, imported as a user would), one draft per simulated author
and sessions for the simulated people, then runs locust headless twice (bench/load_users.py says what
readers, authors and facilitators do):

1. throughput: --users people with no pause between pages;
2. paced: --users people waiting 2–5 s between pages, as people read.

and prints, per kind of page, requests per second, failures, median and p95 (milliseconds).

    createdb -h 127.0.0.1 -U postgres hs_bench_load
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_bench_load .venv/bin/python bench/load.py

Targets on 2 cores: no failures; at least 100 requests/s without pauses; p95 at most 300 ms with pauses.
locust runs on the same machine and takes CPU from gunicorn: the figures are a floor.
"""

import argparse
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
SESSIONS_PER_ROLE = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(args, workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "HINDSIGHT_TESTING")}
    return {
        **env,
        "SECRET_KEY": args.secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": str(workdir / "access.log"),
    }


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def prepare(args, env, workdir: Path) -> dict:
    """Fill the database (once) and return what the simulated people need: sessions, drafts, slugs."""
    print("migrating, loading the demo, collecting static files …", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    manage(env, "collectstatic", "--noinput")
    os.environ.update({k: env[k] for k in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")})
    os.environ.pop("DEBUG", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from postmortems import services
    from postmortems.models import PostMortem, Status, Template

    extra = PostMortem.objects.filter(title__contains="(#").count()
    if extra < args.extra:
        import importlib

        folder = workdir / "markdown"
        folder.mkdir(exist_ok=True)
        importlib.import_module("import").write_files(folder, args.extra, seed=19)
        print(f"importing {args.extra} generated post-mortems …", flush=True)
        manage(env, "import_markdown", str(folder), "--status", "published")

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    authors = [User.objects.get(username=name) for name in ("author", "author2")]
    template = Template.objects.get(slug="lightweight")
    for n in range(PostMortem.objects.filter(title__startswith="Load draft ").count(), SESSIONS_PER_ROLE):
        services.postmortem_create(user=authors[n % 2], template=template, title=f"Load draft {n}",
                                   severity="sev3", started_at=timezone.now())
    # Each simulated author gets a draft of their own and a session of that draft's author.
    drafts = [[draft.slug, session_for(draft.authors.get())]
              for draft in PostMortem.objects.filter(title__startswith="Load draft ").prefetch_related("authors")]
    sessions = {role: [session_for(User.objects.get(username=role)) for _ in range(SESSIONS_PER_ROLE)]
                for role in ("reader", "facilitator")}
    published = list(
        PostMortem.objects.filter(status=Status.PUBLISHED, restricted=False).values_list("slug", flat=True))
    in_review = list(PostMortem.objects.awaiting_review().values_list("slug", flat=True)) or published[:5]
    tags = list(PostMortem.objects.filter(status=Status.PUBLISHED, restricted=False, tags__isnull=False)
                .values_list("tags__slug", flat=True).distinct()[:200])
    print(f"{len(published)} published post-mortems, {len(in_review)} in review, {len(drafts)} load drafts",
          flush=True)
    return {"sessions": sessions, "drafts": drafts, "published": published, "in_review": in_review, "tags": tags}


def start_gunicorn(env, port: int, log: Path) -> subprocess.Popen:
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", str(ROOT / "gunicorn.conf.py")], cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.1)


def check_signed_in(port: int, fixture: dict) -> None:
    """Stop unless the prepared sessions sign people in (else every page would be the sign-in page)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/", headers={"X-Forwarded-Proto": "https",
                                            "Cookie": f"sessionid={fixture['sessions']['reader'][0]}"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"a prepared session is not signed in: / answered {response.status} "
                         f"{response.getheader('Location') or ''}")


def cpu_seconds(pid: int) -> float:
    """Return the CPU time gunicorn has used: the master, its live workers and the workers it has reaped."""
    import psutil  # a dependency of locust

    master = psutil.Process(pid)
    times = master.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for worker in master.children(recursive=True):
        try:
            total += sum(worker.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def run_locust(args, port: int, fixture: Path, workdir: Path, *, pauses: bool) -> list[dict]:
    name = "paced" if pauses else "throughput"
    prefix = workdir / name
    env = {**os.environ, "LOAD_FIXTURE": str(fixture), "LOAD_PAUSES": "1" if pauses else "0"}
    print(f"\n{name}: {args.users} people {'with 2–5 s pauses' if pauses else 'without pauses'} for {args.time} …",
          flush=True)
    command = [sys.executable, "-m", "locust", "-f", str(BENCH / "load_users.py"), "--headless", "--only-summary",
               "--users", str(args.users), "--spawn-rate", str(args.users), "--run-time", args.time,
               "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--loglevel", "WARNING",
               "--exit-code-on-error", "0", "--stop-timeout", "10"]
    with open(workdir / f"locust-{name}.log", "w") as log:
        subprocess.run(command, cwd=BENCH, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
    with open(f"{prefix}_stats.csv") as stats:
        return list(csv.DictReader(stats))


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"{'kind':<16} {'requests':>9} {'req/s':>8} {'failures':>9} {'median ms':>10} {'p95 ms':>8}")
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        label = "all" if row["Name"] == "Aggregated" else row["Name"]
        print(f"{label:<16} {int(row['Request Count']):>9} {float(row['Requests/s']):>8.1f} "
              f"{int(row['Failure Count']):>9} {row['50%']:>10} {row['95%']:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--time", default="60s", help="How long each scenario runs (locust's --run-time).")
    parser.add_argument("--extra", type=int, default=190, help="Published post-mortems added to the demo's.")
    parser.add_argument("--only", choices=["throughput", "paced"], help="Run one scenario only.")
    parser.add_argument("--keep", metavar="DIR", help="Keep the work files (static files, access log, CSV) here.")
    args = parser.parse_args()
    args.secret_key = secrets.token_urlsafe(50)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (a fresh one: it is filled).")

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hs_bench_load_"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = production_env(args, workdir)
    fixture = workdir / "fixture.json"
    people = prepare(args, env, workdir)
    fixture.write_text(json.dumps(people))
    from django.db import connections

    connections.close_all()

    port = free_port()
    gunicorn = start_gunicorn(env, port, workdir / "gunicorn.log")
    try:
        check_signed_in(port, people)
        config = {}
        exec((ROOT / "gunicorn.conf.py").read_text(), config)
        print(f"gunicorn: {config['workers']} workers × {config['threads']} threads on {config['CPUS']} CPUs; "
              f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
        results = {}
        for pauses in (False, True):
            name = "paced" if pauses else "throughput"
            if args.only and args.only != name:
                continue
            cpu = cpu_seconds(gunicorn.pid)
            results[name] = run_locust(args, port, fixture, workdir, pauses=pauses)
            cpu = cpu_seconds(gunicorn.pid) - cpu
            served = int(next(r for r in results[name] if r["Name"] == "Aggregated")["Request Count"])
            print(f"load average after {name}: {os.getloadavg()[0]:.1f}; gunicorn used {cpu:.1f} CPU-seconds for "
                  f"{served} requests: {served / max(cpu, 0.001):.0f} requests per CPU-second", flush=True)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    if "throughput" in results:
        print_table(f"Without pauses ({args.users} people; target: ≥ 100 req/s, 0 failures)", results["throughput"])
    if "paced" in results:
        print_table(f"With 2–5 s pauses ({args.users} people; target: p95 ≤ 300 ms, 0 failures)", results["paced"])
    print(f"\nwork files: {workdir}")


if __name__ == "__main__":
    main()
