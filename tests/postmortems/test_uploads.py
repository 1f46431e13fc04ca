"""Images dropped into the editor: only real raster images are kept (re-encoded, without metadata), under
expanded date folders, and each is served only to people who may see its post-mortem."""

import importlib
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import ExifTags, Image, PngImagePlugin

from knowledge import archive
from postmortems import services
from postmortems.models import PostMortem, Status, Template, Upload

pytestmark = pytest.mark.django_db

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
STORED = re.compile(rf"/media/(uploads/(\d{{4}})/(\d{{2}})/{UUID})\.(\w+)")
REFUSED = "Only PNG, JPEG, GIF and WebP images can be added"


def image_bytes(fmt, size=(8, 8), mode="RGB", **save):
    buffer = io.BytesIO()
    Image.new(mode, size, "navy" if mode in ("RGB", "RGBA") else 0).save(buffer, fmt, **save)
    return buffer.getvalue()


def gps_exif():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (51.0, 30.0, 26.0),
        ExifTags.GPS.GPSLongitudeRef: "W", ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    return exif


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def draft(author):
    return services.postmortem_create(
        user=author, template=Template.objects.get(slug="lightweight"), title="Checkout timeouts",
        severity="sev2", started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )


def upload(client, name, content, content_type, postmortem="incident"):
    data = {"image": SimpleUploadedFile(name, content, content_type)}
    if postmortem is not None:
        data["postmortem"] = postmortem.slug if isinstance(postmortem, PostMortem) else postmortem
    return client.post("/markdownx/upload/", data, HTTP_X_REQUESTED_WITH="XMLHttpRequest")


def stored_files(media_root):
    return sorted(p for p in Path(media_root).rglob("*") if p.is_file())


# --- what is kept --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, extension, declared_name, declared_type", [
    ("PNG", "png", "graph.png", "image/png"),
    ("JPEG", "jpg", "photo.jpeg", "image/jpeg"),
    ("GIF", "gif", "spinner.gif", "image/gif"),
    ("WEBP", "webp", "chart.webp", "image/webp"),
    # The declared type and the name do not matter: the detected format names the file.
    ("PNG", "png", "graph.gif", "image/gif"),
    ("JPEG", "jpg", "photo", "application/octet-stream"),
])
def test_author_adds_an_image_stored_under_date_folders_with_the_detected_extension(
        client, author, draft, media_root, fmt, extension, declared_name, declared_type):
    client.force_login(author)
    before = datetime.now(UTC)
    response = upload(client, declared_name, image_bytes(fmt, (30, 20)), declared_type, draft)
    assert response.status_code == 200, response.content
    code = response.json()["image_code"]
    match = STORED.fullmatch(code.removeprefix("![](").removesuffix(")"))
    assert match, code
    path, year, month, ext = match.group(1) + "." + match.group(4), match.group(2), match.group(3), match.group(4)
    assert ext == extension
    assert (int(year), int(month)) in {(before.year, before.month), (datetime.now(UTC).year, datetime.now(UTC).month)}
    assert stored_files(media_root) == [media_root / path]
    with Image.open(media_root / path) as stored:
        assert stored.format == fmt and stored.size == (30, 20)
    recorded = Upload.objects.get()
    assert (recorded.path, recorded.postmortem, recorded.uploaded_by) == (path, draft, author)
    assert response.json()["url"] == f"/media/{path}"


def test_metadata_is_stripped_gps_included(client, author, draft, media_root):
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "Secret lab, building 7")
    png = image_bytes("PNG", (16, 16), exif=gps_exif(), pnginfo=info)
    jpeg = image_bytes("JPEG", (16, 16), exif=gps_exif())
    for content in (png, jpeg):
        with Image.open(io.BytesIO(content)) as original:
            assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test files do carry a location
    client.force_login(author)
    # Declared as GIF, which used to be stored byte for byte: the location went out with the picture.
    for name, content in (("holiday.png", png), ("holiday.jpg", jpeg)):
        assert upload(client, name, content, "image/gif", draft).status_code == 200
    files = stored_files(media_root)
    assert len(files) == 2
    for path in files:
        data = path.read_bytes()
        with Image.open(path) as stored:
            assert not stored.getexif()
            assert "Location" not in stored.info and "exif" not in stored.info
        assert b"Exif" not in data and b"eXIf" not in data and b"PhoneCo" not in data and b"Secret lab" not in data


def test_animations_stay_animated(client, author, draft, media_root):
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "green", "blue")]
    client.force_login(author)
    for fmt in ("GIF", "WEBP"):
        buffer = io.BytesIO()
        frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=[200, 300, 400], loop=0)
        assert upload(client, f"spinner.{fmt.lower()}", buffer.getvalue(), "image/gif", draft).status_code == 200
    for path in stored_files(media_root):
        with Image.open(path) as stored:
            assert stored.n_frames == 3, path


def test_large_images_are_scaled_to_fit(client, author, draft, media_root, settings):
    settings.UPLOAD_MAX_DIMENSION = 100
    client.force_login(author)
    assert upload(client, "wide.png", image_bytes("PNG", (400, 60)), "image/png", draft).status_code == 200
    with Image.open(stored_files(media_root)[0]) as stored:
        assert stored.size == (100, 15)


# --- what is refused -----------------------------------------------------------------------------------

PNG_8 = image_bytes("PNG")
HOSTILE = [
    ("x.html", b"<html><body><script>alert(document.domain)</script></body></html>", "image/gif"),
    ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>', "image/gif"),
    ("x.js", b"alert(document.domain)", "image/gif"),
    ("x.xhtml", b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>', "image/gif"),
    ("x", b"<script>alert(document.domain)</script>", "image/gif"),
    ("notes.txt", b"Just some notes about the incident.\n", "image/png"),
    ("truncated.png", PNG_8[: len(PNG_8) // 2], "image/png"),
    ("header-only.png", PNG_8[:33], "image/png"),
    ("polyglot.gif", b"GIF89a/*<script>alert(1)</script>", "image/gif"),
    ("bitmap.png", image_bytes("BMP"), "image/png"),
    ("scan.png", image_bytes("TIFF"), "image/png"),
    ("empty.png", b"", "image/png"),
]


@pytest.mark.parametrize("name, content, declared", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_anything_but_a_raster_image_is_refused_with_a_message_and_nothing_stored(
        client, author, draft, media_root, name, content, declared):
    client.force_login(author)
    response = upload(client, name, content, declared, draft)
    assert response.status_code == 400
    error = response.json()["error"]
    assert f"“{name}”" in error
    assert REFUSED in error or "SVG drawings cannot be added" in error
    assert "image_code" not in response.json()
    assert stored_files(media_root) == []
    assert not Upload.objects.exists()


def test_svg_refusal_says_why(client, author, draft):
    client.force_login(author)
    response = upload(client, "diagram.svg", HOSTILE[1][1], "image/svg+xml", draft)
    assert response.json()["error"] == (
        "SVG drawings cannot be added, because they can carry scripts: export “diagram.svg” as PNG and drop that "
        "instead."
    )


def test_decompression_bombs_are_refused_before_decoding(client, author, draft, media_root):
    bomb = image_bytes("PNG", (8000, 8000), mode="1")  # 64 million pixels in a few kilobytes
    assert len(bomb) < 50_000
    frames = [Image.new("L", (2000, 2000), shade) for shade in range(0, 240, 20)]  # 12 frames, 48 million
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    client.force_login(author)
    for name, content in (("bomb.png", bomb), ("bomb.gif", buffer.getvalue())):
        response = upload(client, name, content, "image/png", draft)
        assert response.status_code == 400
        assert "has too many pixels to be added (at most 40 million" in response.json()["error"]
    assert stored_files(media_root) == [] and not Upload.objects.exists()


def test_oversized_files_are_refused(client, author, draft, media_root, settings):
    settings.UPLOAD_MAX_BYTES = 100
    client.force_login(author)
    response = upload(client, "big.png", image_bytes("PNG", (200, 200), mode="RGBA"), "image/png", draft)
    assert response.status_code == 400
    assert re.fullmatch(r"“big\.png” is \d+ bytes; images can be at most 100 bytes\.", response.json()["error"])
    assert stored_files(media_root) == []


def test_a_request_without_a_file_is_answered_not_crashed(client, author, draft):
    client.force_login(author)
    response = client.post("/markdownx/upload/", {"postmortem": draft.slug})
    assert response.status_code == 400
    assert response.json() == {"error": "Choose an image file to add."}


# --- who may add images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reader", "outsider"])
def test_readers_cannot_upload(client, request, role, draft):
    client.force_login(request.getfixturevalue(role))
    assert upload(client, "graph.png", PNG_8, "image/png", draft).status_code == 403


def test_an_author_cannot_add_images_to_someone_elses_post_mortem(client, other_author, draft, media_root):
    client.force_login(other_author)
    assert upload(client, "graph.png", PNG_8, "image/png", draft).status_code == 404  # a draft they cannot see
    draft.status = Status.PUBLISHED
    draft.save()
    assert upload(client, "graph.png", PNG_8, "image/png", draft).status_code == 403
    assert stored_files(media_root) == []


def test_the_post_mortem_must_be_named(client, author):
    client.force_login(author)
    assert upload(client, "graph.png", PNG_8, "image/png", postmortem=None).status_code == 404
    assert upload(client, "graph.png", PNG_8, "image/png", postmortem="no-such-thing").status_code == 404
    assert upload(client, "graph.png", PNG_8, "image/png", postmortem="incident\x00-1").status_code == 404


def test_anonymous_cannot_upload(client, draft):
    assert upload(client, "graph.png", PNG_8, "image/png", draft).status_code == 302


def test_upload_is_post_only(client, author):
    client.force_login(author)
    assert client.get("/markdownx/upload/").status_code == 405


# --- who may see them -----------------------------------------------------------------------------------


@pytest.fixture
def images(author, facilitator, media_root, make_postmortem):
    """One stored image in each of an open published, a restricted published and a draft post-mortem."""
    kinds = {
        "open": make_postmortem(status=Status.PUBLISHED, authors=[author]),
        "restricted": make_postmortem(status=Status.PUBLISHED, restricted=True, authors=[author]),
        "draft": make_postmortem(status=Status.DRAFT, authors=[author]),
    }
    return {
        kind: services.upload_create(postmortem=pm, user=author, image=io.BytesIO(image_bytes("PNG")))
        for kind, pm in kinds.items()
    }


EXPECTED = {
    # role: (open published, restricted published, draft) -> may see the image
    "reader": (True, False, False),
    "outsider": (True, False, False),
    "other_author": (True, False, False),
    "author": (True, True, True),
    "facilitator": (True, True, True),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_an_image_is_served_only_to_people_who_may_see_its_post_mortem(client, request, role, images):
    client.force_login(request.getfixturevalue(role))
    for kind, may_see in zip(("open", "restricted", "draft"), EXPECTED[role], strict=True):
        upload_ = images[kind]
        response = client.get(upload_.url)
        assert response.status_code == (200 if may_see else 404), (role, kind)
        page = client.get(f"/postmortems/{upload_.postmortem.slug}/")
        assert page.status_code == (200 if may_see else 404), (role, kind)  # the same rule as the page
        if may_see:
            assert b"".join(response.streaming_content) == (Path(request.getfixturevalue("media_root"))
                                                            / upload_.path).read_bytes()


def test_anonymous_visitors_are_sent_to_sign_in(client, images):
    response = client.get(images["open"].url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_image_responses_are_inline_images_sandboxed_and_cached_privately(client, reader, images):
    client.force_login(reader)
    response = client.get(images["open"].url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"] == f'inline; filename="{Path(images["open"].path).name}"'
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "private" in cache and "public" not in cache and "max-age=3600" in cache
    assert client.head(images["open"].url).status_code == 200
    assert client.post(images["open"].url).status_code == 405


def test_nginx_sends_the_file_when_accel_redirect_is_on(client, reader, images, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    client.force_login(reader)
    response = client.get(images["open"].url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{images['open'].path}"
    assert response.content == b""
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    denied = client.get(images["restricted"].url)
    assert denied.status_code == 404 and "X-Accel-Redirect" not in denied


def test_accel_redirect_quotes_the_path_nginx_unquotes(client, facilitator, media_root, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected-media"
    plant(media_root, "uploads/%Y/%m/0b6e1c3e-58f0-4bb0-9d8e-1f5b3a8c2d11.png")
    client.force_login(facilitator)
    response = client.get("/media/uploads/%Y/%m/0b6e1c3e-58f0-4bb0-9d8e-1f5b3a8c2d11.png")
    assert response["X-Accel-Redirect"] == "/protected-media/uploads/%25Y/%25m/0b6e1c3e-58f0-4bb0-9d8e-1f5b3a8c2d11.png"


def plant(media_root, name, content=b"\x89PNG not really"):
    path = Path(media_root) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("url", [
    "/media/uploads/2026/11/00000000-0000-0000-0000-000000000000.png",  # no such file
    "/media/uploads/2026/11/planted.html",  # a file there, but not an image name
    "/media/uploads/2026/11/planted.svg",
    "/media/uploads/2026/11/planted",
    "/media/uploads/2026/11/planted.png.html",
    "/media/uploads/../secret.png",
    "/media/uploads/2026/../../secret.png",
    "/media/uploads/%2e%2e/secret.png",
    "/media/uploads/..%2fsecret.png",
    "/media/uploads//2026/11/planted.png",
    "/media/uploads/2026/11/planted.png/",
    "/media/uploads/2026\\11\\planted.png",
    "/media/uploads/2026/11/planted.png%00.html",
    "/media//etc/passwd",
    "/media/secret.png",
    "/media/other/planted.png",
])
def test_unknown_files_and_path_tricks_are_not_found_even_for_facilitators(client, facilitator, media_root, url):
    for name in ("uploads/2026/11/planted.html", "uploads/2026/11/planted.svg", "uploads/2026/11/planted",
                 "uploads/2026/11/planted.png.html", "uploads/2026/11/planted.png", "secret.png",
                 "other/planted.png"):
        plant(media_root, name)
    client.force_login(facilitator)
    assert client.get("/media/uploads/2026/11/planted.png").status_code == 200  # the control: it is there
    assert client.get(url).status_code == 404


def test_files_stored_before_uploads_were_recorded_are_for_facilitators_only(client, reader, facilitator,
                                                                              media_root):
    plant(media_root, "uploads/%Y/%m/0b6e1c3e-58f0-4bb0-9d8e-1f5b3a8c2d11.png", image_bytes("PNG"))
    plant(media_root, "uploads/%Y/%m/0b6e1c3e-58f0-4bb0-9d8e-1f5b3a8c2d12.html", b"<script>alert(1)</script>")
    client.force_login(reader)
    assert client.get("/media/uploads/%Y/%m/0b6e1c3e-58f0-4bb0-9d8e-1f5b3a8c2d11.png").status_code == 404
    client.force_login(facilitator)
    response = client.get("/media/uploads/%Y/%m/0b6e1c3e-58f0-4bb0-9d8e-1f5b3a8c2d11.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert client.get("/media/uploads/%Y/%m/0b6e1c3e-58f0-4bb0-9d8e-1f5b3a8c2d12.html").status_code == 404


def test_migration_records_old_images_that_post_mortems_show(author, make_postmortem):
    older = make_postmortem(status=Status.PUBLISHED, authors=[author])
    newer = make_postmortem(status=Status.PUBLISHED, restricted=True)
    older.sections.create(heading="What happened", body="See ![](/media/uploads/%Y/%m/aaa.png) and "
                                                         "[raw](/media/uploads/%Y/%m/evil.html).")
    newer.sections.create(heading="Impact", body="![](/media/uploads/%Y/%m/aaa.png) ![](/media/uploads/2025/01/b.JPG)")
    newer.action_items.create(title="Dashboards", description="Like ![x](/media/uploads/%Y/%m/c.webp \"t\")")
    folder = Path(__file__).resolve().parents[2] / "postmortems" / "migrations"
    (path,) = folder.glob("*_record_uploads.py")
    module = importlib.import_module(f"postmortems.migrations.{path.stem}")
    module.record_shown_images(apps, connection.schema_editor())
    recorded = dict(Upload.objects.values_list("path", "postmortem"))
    assert recorded == {
        "uploads/%Y/%m/aaa.png": older.pk,
        "uploads/2025/01/b.JPG": newer.pk,
        "uploads/%Y/%m/c.webp": newer.pk,
    }


def test_the_archive_carries_uploads(author, draft):
    services.upload_create(postmortem=draft, user=author, image=io.BytesIO(image_bytes("PNG")))
    recorded = Upload.objects.get()
    data = archive.build_archive()
    assert data["postmortems"][0]["uploads"] == [
        {"id": recorded.pk, "path": recorded.path, "uploaded_by": "arthur",
         "uploaded_at": recorded.uploaded_at.astimezone(UTC).isoformat()}
    ]
    PostMortem.objects.all().delete()
    from tests.knowledge.test_archive import wipe

    wipe()
    archive.restore_archive(data)
    restored = Upload.objects.get()
    assert (restored.pk, restored.path, restored.postmortem.slug, restored.uploaded_by.username) == (
        recorded.pk, recorded.path, draft.slug, "arthur")
