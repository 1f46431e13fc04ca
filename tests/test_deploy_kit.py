"""The deployment kit in deploy/ holds together: nginx accepts the site, systemd accepts the units, the
compose file's services, environment and volumes match what the settings read, and the environments
shipped as examples pass Django's deployment checks. gunicorn.conf.py sizes itself and takes overrides."""

import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def settings_variables() -> set[str]:
    """Return the environment variables config/settings.py reads."""
    source = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r'(?:os\.environ\.get|env_int|env_bool|env_list)\(\s*"([A-Z0-9_]+)"', source))
    return names | {"DATABASE_URL"}  # read by env_database()'s default argument


def gunicorn_variables() -> set[str]:
    return set(re.findall(r'"(GUNICORN_[A-Z_]+)"', (ROOT / "gunicorn.conf.py").read_text()))


def read_env_file(path: Path) -> dict:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


# --- nginx ---------------------------------------------------------------------------------------------


def location_block(text: str, name: str) -> list[str]:
    """Return the lines of the last `location name { … }` in `text` (in the site: the https server's)."""
    block = re.findall(rf"location {re.escape(name)} \{{\n(.*?)\n\s*\}}", text, re.S)[-1]
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_the_nginx_site_keeps_the_readmes_protected_media_location():
    site = (DEPLOY / "nginx" / "hindsight.conf").read_text()
    readme_block = re.search(r"```nginx\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    assert location_block(site, "/protected-media/") == location_block(readme_block, "/protected-media/")
    proxy = location_block(site, "/")
    for line in ["proxy_set_header Host $host;", "proxy_set_header X-Forwarded-Proto $scheme;",
                 "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"]:
        assert line in proxy
    assert "server 127.0.0.1:8000;" in site
    assert "internal;" in location_block(site, "/protected-media/")


def test_nginx_accepts_the_site(tmp_path):
    if not NGINX:
        if os.environ.get("HINDSIGHT_REQUIRE_NGINX"):
            pytest.fail("HINDSIGHT_REQUIRE_NGINX is set but nginx is not installed (apt-get install nginx-light).")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=hindsight.example.com", "-keyout", key, "-out", cert], check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "hindsight.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/hindsight.example.com/fullchain.pem", str(cert)).replace(
        "/etc/letsencrypt/live/hindsight.example.com/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/site.conf;
}}
""")
    result = subprocess.run([NGINX, "-t", "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # nginx 1.25.1 and later warn that `listen … http2` is deprecated; the site is for Debian's 1.22 too.
    warnings = [line for line in result.stderr.splitlines() if "[warn]" in line and "http2" not in line]
    assert not warnings, warnings


# --- systemd -------------------------------------------------------------------------------------------


def unit(name: str) -> str:
    return (DEPLOY / "systemd" / name).read_text()


def test_units_run_gunicorn_and_the_notifications_worker_with_the_shared_environment():
    web, worker = unit("hindsight.service"), unit("hindsight-worker.service")
    assert "ExecStart=/srv/hindsight/app/.venv/bin/gunicorn config.wsgi\n" in web
    assert "Type=notify" in web  # gunicorn tells systemd when it is ready
    assert "ExecStart=/srv/hindsight/app/.venv/bin/python manage.py send_notifications --loop\n" in worker
    for text in (web, worker):
        assert "WorkingDirectory=/srv/hindsight/app" in text  # gunicorn.conf.py, templates and static live there
        assert "EnvironmentFile=/etc/hindsight/env" in text
        assert "User=hindsight" in text and "ProtectSystem=strict" in text
    # The web server writes uploaded images, where nginx's internal location reads them.
    env = read_env_file(DEPLOY / "systemd" / "env.example")
    assert f"ReadWritePaths={env['MEDIA_ROOT']}" in web
    assert f"alias {env['MEDIA_ROOT']}/;" in (DEPLOY / "nginx" / "hindsight.conf").read_text()
    assert env["MEDIA_ACCEL_REDIRECT_PREFIX"] == "/protected-media/"


def test_systemd_accepts_the_units(tmp_path):
    if not SYSTEMD_ANALYZE:
        pytest.skip("systemd-analyze is not installed")
    (tmp_path / "env").write_text("")
    names = ["hindsight.service", "hindsight-worker.service"]
    for name in names:
        # The paths of this checkout stand in for /srv/hindsight/app, so the commands exist.
        text = unit(name).replace("/srv/hindsight/app/.venv/bin/", f"{Path(sys.executable).parent}/").replace(
            "/srv/hindsight/app", str(ROOT)).replace("/etc/hindsight/env", str(tmp_path / "env"))
        (tmp_path / name).write_text(text)
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", *(str(tmp_path / name) for name in names)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unknown" not in result.stderr, result.stderr


# --- compose and the image -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_runs_postgresql_web_and_one_worker_from_one_image(compose):
    services = compose["services"]
    assert set(services) == {"db", "web", "worker"}
    assert services["db"]["image"].startswith("postgres:")
    for name in ("web", "worker"):
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert services["web"]["command"] == ["web"] and services["worker"]["command"] == ["worker"]
    assert "deploy" not in services["worker"] or services["worker"]["deploy"].get("replicas", 1) == 1
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # where the nginx site proxies to
    assert services["worker"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_environment_is_what_the_settings_read(compose):
    known = settings_variables() | gunicorn_variables()
    db = compose["services"]["db"]["environment"]
    for name in ("web", "worker"):
        env = compose["services"][name]["environment"]
        assert set(env) <= known, set(env) - known
        for required in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
            assert re.fullmatch(r".*\$\{[A-Z_]+:\?.+\}.*", env[required]), f"{required} must come from .env"
        url = re.fullmatch(r"postgres://(\w+):\$\{POSTGRES_PASSWORD:\?[^}]+\}@(\w+):5432/(\w+)", env["DATABASE_URL"])
        assert url and url.groups() == (db["POSTGRES_USER"], "db", db["POSTGRES_DB"])
        # Uploaded images live on a volume, at MEDIA_ROOT, in every container that runs Hindsight.
        mounts = dict(volume.split(":")[::-1] for volume in compose["services"][name]["volumes"])
        assert mounts[env["MEDIA_ROOT"]] in compose["volumes"]
    example = read_env_file(DEPLOY / "env.example")
    used = set(re.findall(r"\$\{([A-Z_]+)", (DEPLOY / "compose.yaml").read_text()))
    assert used == set(example)


def test_the_image_runs_from_the_project_folder_and_the_entrypoint_migrates_and_collects(compose):
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path
    assert "optional-dependencies']['s3']" in dockerfile and "ENTRYPOINT [\"hindsight-entrypoint\"]" in dockerfile
    env = compose["services"]["web"]["environment"]
    assert f"MEDIA_ROOT={env['MEDIA_ROOT']}" in dockerfile and f"STATIC_ROOT={env['STATIC_ROOT']}" in dockerfile
    entrypoint = DEPLOY / "docker-entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    web = re.search(r"\n    web\)\n(.*?);;", entrypoint.read_text(), re.S).group(1).split("\n")
    commands = [line.strip() for line in web if line.strip()]
    assert commands == ["python manage.py migrate --noinput", "python manage.py collectstatic --noinput --verbosity 0",
                        "exec gunicorn config.wsgi"]
    assert "exec python manage.py send_notifications --loop" in entrypoint.read_text()
    assert subprocess.run(["sh", "-n", str(entrypoint)]).returncode == 0


@pytest.mark.parametrize("example", ["systemd/env.example", "compose.yaml"])
def test_the_shipped_environments_pass_djangos_deployment_checks(example):
    if example == "compose.yaml":
        env = {k: str(v) for k, v in yaml.safe_load((DEPLOY / example).read_text())["services"]["web"][
            "environment"].items()}
        values = read_env_file(DEPLOY / "env.example")
        env = {k: re.sub(r"\$\{([A-Z_]+)(?::[?-][^}]*)?\}", lambda m: values[m.group(1)], v) for k, v in env.items()}
    else:
        env = read_env_file(DEPLOY / example)
    env = {k: v for k, v in env.items() if not k.startswith("GUNICORN_")}
    env["SECRET_KEY"] = "x" * 60 + "-a-long-random-string-0123456789"  # the example's placeholder is short
    leave_out = {"DEBUG", "HINDSIGHT_TESTING", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in leave_out}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env={**clean, **env}, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- gunicorn.conf.py ----------------------------------------------------------------------------------


def gunicorn_config(monkeypatch, **env) -> dict:
    for name in gunicorn_variables():
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_sizes_workers_from_the_cpus_and_takes_overrides(monkeypatch):
    config = gunicorn_config(monkeypatch)
    cpus = config["CPUS"]
    assert 1 <= cpus <= (os.cpu_count() or 1)
    assert (config["workers"], config["threads"], config["worker_class"]) == (2 * cpus + 1, 2, "gthread")
    assert config["bind"] == "127.0.0.1:8000" and config["timeout"] == 30
    assert "%(M)s" in config["access_log_format"] and "%(U)s" in config["access_log_format"]
    assert "%(r)s" not in config["access_log_format"] and "%(q)s" not in config["access_log_format"]

    config = gunicorn_config(monkeypatch, GUNICORN_WORKERS="7", GUNICORN_THREADS="4", GUNICORN_TIMEOUT="90",
                             GUNICORN_BIND="0.0.0.0:9000")
    assert (config["workers"], config["threads"], config["timeout"], config["bind"]) == (7, 4, 90, "0.0.0.0:9000")


@pytest.mark.parametrize("value", ["many", "0", "-2", "1.5"])
def test_gunicorn_refuses_a_bad_number(monkeypatch, value):
    with pytest.raises(SystemExit, match="GUNICORN_WORKERS"):
        gunicorn_config(monkeypatch, GUNICORN_WORKERS=value)
