"""Dropping files into a section: a refusal shows beside the field and leaves the text alone; an image
goes in as Markdown and its preview loads through the access-checked media view."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from postmortems.models import Upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STORY = "The cache emptied after the TTL change."


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def drop(page, field, name, content_type, content: bytes):
    """Drop a file on `field` the way a browser does: a drop event whose DataTransfer holds the file."""
    transfer = page.evaluate_handle(
        """([name, type, bytes]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
            return transfer;
        }""",
        [name, content_type, list(content)],
    )
    field.dispatch_event("dragenter", {"dataTransfer": transfer})
    field.dispatch_event("drop", {"dataTransfer": transfer})


def png(size=(24, 16)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_dropped_non_image_is_refused_beside_the_field_and_the_text_is_unchanged(page, live_server, login, draft):
    login(page, "arthur")
    page.goto(f"{live_server.url}/postmortems/{draft.slug}/edit/")
    field = page.locator("textarea.markdownx-editor").first
    field.fill(STORY)
    widget = page.locator(".markdownx").first
    status = widget.locator(".upload-status")

    drop(page, field, "notes.html", "image/gif", b"<html><script>alert(document.domain)</script></html>")
    expect(status).to_be_visible()
    expect(status).to_have_text(
        "Only PNG, JPEG, GIF and WebP images can be added: “notes.html” is not one of them, or it is damaged. "
        "To share another kind of file, link to it instead."
    )
    expect(status).to_have_class("upload-status upload-status--error")
    expect(field).to_have_value(STORY)
    assert "Invalid response" not in field.input_value()
    assert not Upload.objects.exists()

    drop(page, field, "diagram.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    expect(status).to_contain_text("SVG drawings cannot be added")
    expect(field).to_have_value(STORY)

    field.blur()  # dropped from the desktop onto a field the author is not typing in: added as its own paragraph
    drop(page, field, "graph.png", "image/png", png())
    expect(status).to_have_text("Added “graph.png”.")
    upload = Upload.objects.get()
    expect(field).to_have_value(f"{STORY}\n\n![]({upload.url})")
    image = widget.locator(f".markdownx-preview img[src='{upload.url}']")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 24", arg=image.element_handle())
    expect(page.locator("[data-unsaved-status]")).to_have_text("Unsaved changes.")
