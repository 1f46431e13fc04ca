"""The README's nginx block, run in a real nginx in front of Hindsight: Django decides who may see an
image, nginx sends the file from its internal location, and the headers survive the hand-over.

Needs nginx (Debian's nginx-light); skipped without it unless HINDSIGHT_REQUIRE_NGINX is set (CI sets it).
"""

import http.client
import io
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from postmortems import services
from postmortems.models import Status
from tests.factories import PASSWORD
from tests.servers import wait_for_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
README = Path(__file__).resolve().parents[2] / "README.md"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx(tmp_path, live_server, settings):
    if not NGINX:
        if os.environ.get("HINDSIGHT_REQUIRE_NGINX"):
            pytest.fail("HINDSIGHT_REQUIRE_NGINX is set but nginx is not installed (apt-get install nginx-light).")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    block = re.search(r"```nginx\n(.*?)```", README.read_text(), re.S).group(1)
    assert "alias /srv/hindsight/media/;" in block and "proxy_pass http://127.0.0.1:8000;" in block
    block = block.replace("/srv/hindsight/media/", f"{media}/").replace(
        "http://127.0.0.1:8000", live_server.url)
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the test's private folder
    config = tmp_path / "nginx.conf"
    config.write_text(f"""
{user}
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    server {{
        listen 127.0.0.1:{port};
        {block}
    }}
}}
""")
    process = subprocess.Popen([NGINX, "-e", str(tmp_path / "error.log"), "-c", str(config), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(process, port, seconds=10,
                  failure=lambda: f"nginx did not start: {process.stderr.read().decode()}")
    yield {"port": port, "media": media}
    process.terminate()
    process.wait(timeout=10)


def get(port, path, cookie=""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "localhost", "Cookie": cookie})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def session_cookie(live_server, username) -> str:
    from django.test import Client

    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return f"sessionid={client.cookies['sessionid'].value}"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 9), "navy").save(buffer, "PNG")
    return buffer.getvalue()


def test_nginx_sends_images_only_after_hindsight_allows_it(nginx, live_server, make_postmortem, reader, author,
                                                          facilitator):
    open_pm = make_postmortem(status=Status.PUBLISHED, authors=[author])
    hidden_pm = make_postmortem(status=Status.PUBLISHED, restricted=True, authors=[author])
    shown = services.upload_create(postmortem=open_pm, user=author, image=io.BytesIO(png()))
    hidden = services.upload_create(postmortem=hidden_pm, user=author, image=io.BytesIO(png()))
    port, media = nginx["port"], nginx["media"]
    reader_cookie = session_cookie(live_server, "rita")

    response, body = get(port, shown.url, reader_cookie)
    assert response.status == 200
    assert body == (media / shown.path).read_bytes()
    assert response.getheader("Content-Type") == "image/png"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Content-Security-Policy") == "default-src 'none'; sandbox"
    assert response.getheader("Content-Disposition") == f'inline; filename="{Path(shown.path).name}"'
    assert "private" in response.getheader("Cache-Control")
    assert response.getheader("X-Accel-Redirect") is None

    assert get(port, hidden.url, reader_cookie)[0].status == 404
    # The internal location cannot be asked for directly, by anyone.
    assert get(port, f"/protected-media/{hidden.path}", reader_cookie)[0].status == 404
    assert get(port, f"/protected-media/{shown.path}")[0].status == 404
