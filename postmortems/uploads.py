"""Images dropped into the editor: only raster images that decode are kept, re-encoded without metadata,
and they are served back only to people who may see the post-mortem they belong to.

What arrives is never trusted: neither its declared type nor its name. Pillow opens it with only the
PNG, JPEG, GIF and WebP decoders enabled, checks its size before decoding (a small file can claim
billions of pixels), decodes every frame, and the pixels are written into a new file of the detected
format. Nothing else of the original survives: no EXIF (camera, GPS location), XMP, ICC profile,
comments or text chunks, and no bytes an attacker chose (a PNG that is also an HTML page stays behind).
A JPEG is turned upright by its EXIF orientation before that goes. GIF and WebP animations stay
animated (every frame, with its duration and the loop count).
"""

import io
import math
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

FORMATS = {
    # Pillow format: (extension, content type)
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
DECODERS = [*FORMATS, "MPO"]
CONTENT_TYPES = {ext: content_type for ext, content_type in FORMATS.values()} | {"jpeg": "image/jpeg"}
FOLDER = "uploads"
# A stored name: uploads/<year>/<month>/<name>.<image extension>. Only letters, digits, "-" and "_" in
# the parts ("%" too, for files stored before the date folders were expanded: uploads/%Y/%m/…), so no
# "..", no empty part, no backslash and no absolute path can get through.
STORED_NAME = re.compile(r"uploads(?:/[\w%-]+)+\.(png|jpe?g|gif|webp)", re.ASCII | re.IGNORECASE)
# What a sandboxed image response may do: nothing (it is shown by <img>, which needs none of this).
MEDIA_CSP = "default-src 'none'; sandbox"

REFUSED = (
    "Only PNG, JPEG, GIF and WebP images can be added: {name} is not one of them, or it is damaged. "
    "To share another kind of file, link to it instead."
)
REFUSED_SVG = (
    "SVG drawings cannot be added, because they can carry scripts: export {name} as PNG and drop that instead."
)


class ImageRefused(Exception):
    """The upload is not an image Hindsight keeps; the message says why, for the author."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int
    frames: int


def clean_image(upload, *, name: str = "") -> CleanImage:
    """Return `upload` (a file object) decoded and re-encoded without metadata, or raise ImageRefused."""
    label = f"“{name}”" if name else "this file"
    max_bytes = settings.UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ImageRefused(f"{_capital(label)} is {_size(size)}; images can be at most {_size(max_bytes)}.")
    try:
        with Image.open(upload, formats=DECODERS) as image:
            return _reencode(image, label)
    except ImageRefused:
        raise
    except Image.DecompressionBombError:
        raise ImageRefused(_too_many_pixels(label)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError,
            KeyError, ZeroDivisionError, MemoryError, Image.DecompressionBombWarning):
        # Whatever a hostile or damaged file makes a decoder raise, the answer is the same refusal.
        refused = REFUSED_SVG if name.lower().endswith((".svg", ".svgz")) else REFUSED
        raise ImageRefused(refused.format(name=label)) from None


def _reencode(image: Image.Image, label: str) -> CleanImage:
    kind = "JPEG" if image.format == "MPO" else image.format  # MPO: a camera's JPEG with extra views
    if kind not in FORMATS:
        raise ImageRefused(REFUSED.format(name=label))
    if not image.width or not image.height:
        raise ImageRefused(REFUSED.format(name=label))
    animated = kind in ("GIF", "WEBP")  # a PNG or JPEG keeps its first picture only (APNG, MPO)
    pixels_per_frame = image.width * image.height
    loop = image.info.get("loop")  # None: the animation plays once
    if kind == "JPEG":
        # Decode at the smallest scale (1/2, 1/4, 1/8) that still covers the kept size: less time and memory.
        scale = min(1, settings.UPLOAD_MAX_DIMENSION / max(image.width, image.height))
        image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        # Counted before each frame is decoded: all frames together stay under the pixel budget.
        if pixels_per_frame * (len(frames) + 1) > settings.UPLOAD_MAX_PIXELS:
            raise ImageRefused(_too_many_pixels(label))
        if len(frames) >= settings.UPLOAD_MAX_FRAMES:
            raise ImageRefused(f"{_capital(label)} has more than {settings.UPLOAD_MAX_FRAMES} frames; "
                               "shorten the animation, then drop it again.")
        frame.load()  # decodes for real: a truncated or corrupt file fails here
        durations.append(int(frame.info.get("duration") or 100))
        frames.append(_fit(_pixels_only(_upright(frame) if kind == "JPEG" else frame)))
        if not animated:
            break
    extension, content_type = FORMATS[kind]
    out = io.BytesIO()
    first, rest = frames[0], frames[1:]
    if kind == "JPEG":
        first.convert("RGB").save(out, "JPEG", quality=88)
    elif kind == "PNG":
        first.save(out, "PNG")
    else:
        # Every frame is whole (Pillow composes them when reading), so each replaces the one before.
        extra = {"save_all": True, "append_images": rest, "duration": durations}
        if loop is not None:
            extra["loop"] = loop
        if kind == "GIF":
            first.save(out, "GIF", **(extra | {"disposal": 2} if rest else {}))
        else:
            first.save(out, "WEBP", quality=90, method=4, **(extra if rest else {}))
    return CleanImage(out.getvalue(), extension, content_type, first.width, first.height, len(frames))


def _upright(frame: Image.Image) -> Image.Image:
    """Return a JPEG turned as its EXIF orientation says (the EXIF itself is not kept)."""
    try:
        return ImageOps.exif_transpose(frame)
    except Exception:  # a damaged EXIF block does not make the picture unusable
        return frame


def _pixels_only(frame: Image.Image) -> Image.Image:
    """Return a new RGB(A) image with `frame`'s pixels and nothing else (no EXIF, XMP, ICC profile, text
    chunks, comments or palette)."""
    has_alpha = frame.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in frame.info
    mode = "RGBA" if has_alpha else "RGB"
    clean = frame.convert(mode)  # a new image; the encoders write only what its info holds, so empty it
    clean.info = {}
    return clean


def _fit(frame: Image.Image) -> Image.Image:
    largest = settings.UPLOAD_MAX_DIMENSION
    if frame.width > largest or frame.height > largest:
        frame = frame.copy()
        frame.thumbnail((largest, largest), Image.Resampling.LANCZOS)
    return frame


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def _size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


def _too_many_pixels(label: str) -> str:
    limit = settings.UPLOAD_MAX_PIXELS
    return (f"{_capital(label)} has too many pixels to be added (at most {limit / 1_000_000:g} million, "
            "all frames together). Scale it down or crop it, then drop it again.")


def new_name(extension: str) -> str:
    """Return where a new image is stored: uploads/<year>/<month>/<random>.<extension>."""
    now = timezone.now()
    return f"{FOLDER}/{now:%Y}/{now:%m}/{uuid.uuid4()}.{extension}"


def is_stored_name(name: str) -> bool:
    return bool(STORED_NAME.fullmatch(name))


def file_response(name: str) -> HttpResponse:
    """Return the stored image `name` for the browser: inline, as an image, sandboxed, cached privately.

    With MEDIA_ACCEL_REDIRECT_PREFIX set, nginx sends the file (X-Accel-Redirect to an internal
    location); otherwise Django streams it.
    """
    extension = STORED_NAME.fullmatch(name).group(1).lower()
    content_type = CONTENT_TYPES[extension]
    if settings.MEDIA_STORAGE == "s3":
        return _presigned_redirect(name, content_type)
    prefix = settings.MEDIA_ACCEL_REDIRECT_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    else:
        response = FileResponse(default_storage.open(name), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(False, PurePosixPath(name).name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    patch_cache_control(response, private=True, max_age=settings.MEDIA_MAX_AGE)
    return response


def _presigned_redirect(name: str, content_type: str) -> HttpResponse:
    """Return a redirect to a short-lived presigned URL of the image in the S3 bucket.

    The bucket answers with the type, disposition and caching asked for here; the browser may keep the
    redirect for half the URL's life, so that it never follows an expired one.
    """
    disposition = content_disposition_header(False, PurePosixPath(name).name)
    url = default_storage.url(name, parameters={
        "ResponseContentType": content_type,
        "ResponseContentDisposition": disposition,
        "ResponseCacheControl": f"private, max-age={settings.MEDIA_MAX_AGE}",
    }, expire=settings.MEDIA_S3_URL_SECONDS)
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    patch_cache_control(response, private=True, max_age=settings.MEDIA_S3_URL_SECONDS // 2)
    return response
