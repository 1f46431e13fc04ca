"""Images dropped into the editor: authors only, images only, size-limited."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

pytestmark = pytest.mark.django_db


def png_bytes(size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, name, content, content_type):
    return client.post("/markdownx/upload/", {"image": SimpleUploadedFile(name, content, content_type)},
                       HTTP_X_REQUESTED_WITH="XMLHttpRequest")


def test_author_uploads_an_image(client, author, media_root):
    client.force_login(author)
    response = upload(client, "graph.png", png_bytes(), "image/png")
    assert response.status_code == 200, response.content
    assert "image_code" in response.json()
    assert "![](" in response.json()["image_code"]
    assert any(media_root.rglob("*.png"))


@pytest.mark.parametrize("role", ["reader", "outsider"])
def test_readers_cannot_upload(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert upload(client, "graph.png", png_bytes(), "image/png").status_code == 403


def test_anonymous_cannot_upload(client):
    assert upload(client, "graph.png", png_bytes(), "image/png").status_code == 302


def test_non_images_are_refused(client, author, media_root):
    client.force_login(author)
    response = upload(client, "notes.html", b"<script>alert(1)</script>", "text/html")
    assert response.status_code == 400
    response = upload(client, "evil.svg", b"<svg onload='alert(1)'/>", "image/svg+xml")
    assert response.status_code == 400
    assert not any(media_root.rglob("*.*"))


def test_oversized_images_are_refused(client, author, settings):
    from markdownx import forms as mdx_settings

    client.force_login(author)
    original = mdx_settings.MARKDOWNX_UPLOAD_MAX_SIZE
    mdx_settings.MARKDOWNX_UPLOAD_MAX_SIZE = 100
    try:
        response = upload(client, "big.png", png_bytes((200, 200)), "image/png")
    finally:
        mdx_settings.MARKDOWNX_UPLOAD_MAX_SIZE = original
    assert response.status_code == 400


def test_upload_is_post_only(client, author):
    client.force_login(author)
    assert client.get("/markdownx/upload/").status_code == 405
