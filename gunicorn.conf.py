"""gunicorn settings for Hindsight; gunicorn reads this file when started from the project folder
(`gunicorn config.wsgi`), or name it with `-c /path/to/gunicorn.conf.py`.

Every value can be changed from the environment (GUNICORN_* below), so the systemd unit, the
container and the load benchmark all run this one file.
"""

import math
import os


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a whole number.") from None
    if value < 1:
        raise SystemExit(f"{name} must be at least 1.")
    return value


def cpu_count() -> int:
    """Return the CPUs this process may use: its affinity, capped by a cgroup (container) CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as limits:
            quota, period = limits.read().split()
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


CPUS = cpu_count()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Pages are mostly CPU (templates, Markdown) with short waits on PostgreSQL: the usual 2 × CPUs + 1
# processes keep every core busy, and two threads in each fill the database waits.
workers = _env_int("GUNICORN_WORKERS", 2 * CPUS + 1)
threads = _env_int("GUNICORN_THREADS", 2)
worker_class = "gthread"
# A request that runs longer than this is a bug: the worker is killed and restarted.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)  # behind nginx, which keeps connections to gunicorn open
# Restart each worker after this many requests (spread out), so slow leaks never build up.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Only the proxy on this machine may say the request was https (X-Forwarded-Proto); see nginx's site.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn 25.1+ opens a control socket in the home folder by default: one path shared by every gunicorn
# of the user, and not writable under systemd's ProtectSystem=strict. Off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Logs to standard error (journald, docker logs). The access log has the client's address as the
# proxy saw it, the path WITHOUT its query string (searches and feed tokens stay out of logs), the
# status, the size and the time taken in milliseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%({x-forwarded-for}i)s %(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
)
proc_name = "hindsight"
