"""Uploaded images on S3-compatible storage (MEDIA_STORAGE=s3): the settings that turn it on, and the
media view against a real S3 API on localhost (moto's server): the access check comes first, then a
redirect to a short-lived presigned URL that the bucket answers with the image."""

import http.client
import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from postmortems import services
from postmortems.models import Status

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "hindsight.example.com",
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}
SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import default_storage
print(json.dumps({
    "backend": settings.STORAGES["default"]["BACKEND"],
    "options": settings.STORAGES["default"].get("OPTIONS", {}),
    "img_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
    "url": default_storage.url("uploads/2024/03/a.png", expire=60) if settings.MEDIA_STORAGE == "s3" else "",
}))
"""


def show_settings(**env):
    skip = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "HINDSIGHT_TESTING", "PYTEST_CURRENT_TEST", "DATABASE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in skip and not k.startswith(("AWS_", "MEDIA_"))}
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS], cwd=ROOT, capture_output=True, text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **PRODUCTION_ENV, **env},
    )


def settings_with(**env) -> dict:
    result = show_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_images_stay_on_the_local_disk_by_default():
    shown = settings_with()
    assert shown["backend"] == "django.core.files.storage.FileSystemStorage"
    assert shown["img_src"] == ["'self'"]


def test_s3_on_aws_signs_urls_of_the_bucket_the_policy_allows():
    shown = settings_with(MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="hs-media", AWS_S3_REGION_NAME="eu-west-1")
    assert shown["backend"] == "storages.backends.s3.S3Storage"
    assert shown["options"]["querystring_auth"] is True and shown["options"]["querystring_expire"] == 300
    assert shown["options"]["custom_domain"] is None
    assert shown["img_src"] == ["'self'", "https://hs-media.s3.eu-west-1.amazonaws.com"]
    url = urlsplit(shown["url"])
    assert f"{url.scheme}://{url.netloc}" == "https://hs-media.s3.eu-west-1.amazonaws.com"
    assert url.path == "/uploads/2024/03/a.png"
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query


def test_s3_compatible_endpoint_uses_path_style_urls():
    shown = settings_with(MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="hs-media",
                          AWS_S3_ENDPOINT_URL="https://objects.example.net/", AWS_LOCATION="hindsight",
                          MEDIA_S3_URL_SECONDS="120")
    assert shown["img_src"] == ["'self'", "https://objects.example.net"]
    url = urlsplit(shown["url"])
    assert (url.netloc, url.path) == ("objects.example.net", "/hs-media/hindsight/uploads/2024/03/a.png")
    assert shown["options"]["querystring_expire"] == 120


@pytest.mark.parametrize("env, message", [
    ({"MEDIA_STORAGE": "s4"}, "use local (the default) or s3"),
    ({"MEDIA_STORAGE": "s3", "AWS_S3_REGION_NAME": "eu-west-1"}, "needs AWS_STORAGE_BUCKET_NAME"),
    ({"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "b"}, "needs AWS_S3_REGION_NAME"),
    ({"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ENDPOINT_URL": "objects.example.net"},
     "is not an http(s) URL"),
    ({"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_REGION_NAME": "eu-west-1",
      "MEDIA_S3_URL_SECONDS": "1"}, "at least 10"),
])
def test_bad_s3_settings_stop_the_start_with_a_clear_message(env, message):
    result = show_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


# --- the media view against an S3 API on localhost ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_media(s3_server, settings, monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"hs-media-{os.getpid()}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=bucket)
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": bucket, "endpoint_url": s3_server, "region_name": "us-east-1",
                    "addressing_style": "path", "signature_version": "s3v4", "querystring_expire": 300,
                    "file_overwrite": False, "custom_domain": None},
    }}
    return bucket


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 9), "navy").save(buffer, "PNG")
    return buffer.getvalue()


def fetch(url):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@pytest.mark.django_db
def test_reader_is_sent_to_a_short_lived_url_the_bucket_answers_with_the_image(
        client, s3_media, make_postmortem, reader, author):
    pm = make_postmortem(status=Status.PUBLISHED, authors=[author])
    image = png()
    upload = services.upload_create(postmortem=pm, user=author, image=io.BytesIO(image))
    assert type(default_storage._wrapped).__name__ == "S3Storage"
    client.force_login(reader)

    response = client.get(upload.url)
    assert response.status_code == 302
    assert "private" in response["Cache-Control"] and "max-age=150" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"  # the bucket is not told which page showed the image
    location = urlsplit(response["Location"])
    assert location.path == f"/{s3_media}/{upload.path}"
    assert parse_qs(location.query)["X-Amz-Expires"] == ["300"]

    answer, body = fetch(response["Location"])
    assert answer.status == 200
    assert body == image
    assert answer.getheader("Content-Type") == "image/png"
    assert answer.getheader("Content-Disposition") == f'inline; filename="{Path(upload.path).name}"'
    assert answer.getheader("Cache-Control") == "private, max-age=3600"


@pytest.mark.django_db
def test_images_of_hidden_post_mortems_get_no_url(client, s3_media, make_postmortem, reader, outsider, author):
    pm = make_postmortem(status=Status.PUBLISHED, restricted=True, authors=[author])
    upload = services.upload_create(postmortem=pm, user=author, image=io.BytesIO(png()))
    for user in (reader, outsider):
        client.force_login(user)
        response = client.get(upload.url)
        assert response.status_code == 404
        assert "Location" not in response
    client.force_login(author)
    assert client.get(upload.url).status_code == 302


@pytest.mark.django_db
def test_a_recorded_image_missing_from_the_bucket_is_a_404(client, s3_media, make_postmortem, author):
    pm = make_postmortem(status=Status.PUBLISHED, authors=[author])
    upload = services.upload_create(postmortem=pm, user=author, image=io.BytesIO(png()))
    default_storage.delete(upload.path)
    client.force_login(author)
    assert client.get(upload.url).status_code == 404
