"""Avatars served by the app: an identicon drawn from the user's id, or their own picture.

No page asks another site for an avatar (Gravatar, which also leaks a hash of the email
address, is opt-in: AVATAR_GRAVATAR). An uploaded picture is untrusted input: it is opened
with the four decoders we accept only, its size is checked before any pixel is decoded,
and what we keep is a re-encoded square WebP per size shown, with no metadata (EXIF, XMP,
comments, ICC) left. Pictures are files under AVATAR_DIR (shared by every app server),
named by a random version that goes into their URL, so a browser may cache them for ever.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image, ImageOps
from sqlalchemy import bindparam, select

from microblog.extensions import db
from microblog.models import User
from microblog.models.user import IDENTICON_VERSION

SIZES = (48, 64, 128)  # what the pages show: rows, hover card, profile
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")  # the only decoders an upload ever reaches
# Pixels a picture may have (a 48-megapixel photo has 48 million): decoding costs memory in
# proportion, whatever the file's size, so a tiny file claiming 100,000 x 100,000 is refused
# from its header, before a pixel is decoded.
MAX_PIXELS = 50_000_000
WEBP_QUALITY = 85

_VERSION = select(User.avatar_version).where(User.id == bindparam("user_id"))  # built once


class AvatarRefused(ValueError):
    """An upload we do not keep; the message says why, shown next to the form's field."""


def size_limit_text(max_bytes: int) -> str:
    """ "4 MB": the limit in the words of the form's help and errors."""
    return _("%(size)s MB", size=format_decimal(round(max_bytes / 2**20, 1)))


def version(user_id: int) -> str | None:
    """The version of `user_id`'s avatar (a picture's, or the identicon's); None: no user."""
    row = db.session.execute(_VERSION, {"user_id": user_id}).first()
    if row is None:
        return None
    return row.avatar_version or IDENTICON_VERSION


# -- The identicon ----------------------------------------------------------------------


def identicon(user_id: int, size: int) -> str:
    """An SVG identicon for `user_id`: a 5 x 5 grid mirrored left to right, in a colour of
    its own. Drawn from the id alone (never the email), the same on every server."""
    digest = hashlib.sha256(f"microblog identicon {user_id}".encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    bits = int.from_bytes(digest[2:4], "big")
    cells = []
    for column in range(3):
        for row in range(5):
            if bits >> (column * 5 + row) & 1:
                for x in {column, 4 - column}:
                    cells.append(f"M{1 + 2 * x} {1 + 2 * row}h2v2h-2z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 12 12" shape-rendering="crispEdges">'
        f'<rect width="12" height="12" fill="hsl({hue} 40% 92%)"/>'
        f'<path fill="hsl({hue} 55% 40%)" d="{"".join(cells)}"/></svg>'
    )


# -- Uploaded pictures ------------------------------------------------------------------


def process(upload: IO[bytes], max_bytes: int) -> dict[int, bytes]:
    """The upload as a square WebP for each size we show, or AvatarRefused.

    Reads at most `max_bytes` + 1 bytes. GIFs and animated WebPs give their first frame;
    the EXIF orientation is applied, then every piece of metadata is left behind.
    """
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AvatarRefused(
            _("This picture is too large: at most %(size)s.", size=size_limit_text(max_bytes))
        )
    if not data:
        raise AvatarRefused(_("This file is empty."))
    image = _open(data)
    try:
        image.seek(0)
        if image.format == "JPEG":
            image.draft(None, (SIZES[-1] * 2, SIZES[-1] * 2))  # decode big photos scaled
        image.load()
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise AvatarRefused(_damaged()) from None
    return {size: _webp(image, size) for size in SIZES}


def _open(data: bytes) -> Image.Image:
    """Open the picture with our decoders only, and check its size from its header."""
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError:
        raise AvatarRefused(_too_many_pixels()) from None
    except (OSError, SyntaxError, ValueError, EOFError):  # UnidentifiedImageError is an OSError
        raise AvatarRefused(_damaged() if _signed(data) else _unsupported()) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise AvatarRefused(_damaged())
    if width * height > MAX_PIXELS:
        raise AvatarRefused(_too_many_pixels())
    return image


def _signed(data: bytes) -> bool:
    """Whether `data` starts as one of our formats does (then it is damaged, not foreign)."""
    webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return webp or data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a"))


def _unsupported() -> str:
    return _("This file is not a PNG, JPEG, WebP or GIF picture.")


def _damaged() -> str:
    return _("This picture is damaged or incomplete: try saving it again.")


def _too_many_pixels() -> str:
    return _(
        "This picture has too many pixels: at most %(count)s million.",
        count=format_decimal(MAX_PIXELS // 1_000_000),
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info


def _webp(image: Image.Image, size: int) -> bytes:
    """The centre square of `image`, `size` pixels wide, as WebP with no metadata."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.resize(
        (size, size), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side)
    )
    square.info.clear()  # nothing carried over into the file: no EXIF, XMP, ICC, comment
    out = io.BytesIO()
    square.save(out, "WEBP", quality=WEBP_QUALITY)
    return out.getvalue()


def picture_path(user_id: int, picture_version: str, size: int) -> Path:
    return _folder(user_id) / f"{picture_version}-{size}.webp"


def _folder(user_id: int) -> Path:
    return Path(current_app.config["AVATAR_DIR"]).absolute() / str(user_id)


def _write(user_id: int, pictures: Mapping[int, bytes]) -> str:
    """Store the pictures under a new version; a reader never sees half a file."""
    picture_version = secrets.token_hex(8)
    _folder(user_id).mkdir(parents=True, exist_ok=True)
    for size, data in pictures.items():
        path = picture_path(user_id, picture_version, size)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        os.replace(partial, path)
    return picture_version


def _delete(user_id: int, picture_version: str | None) -> None:
    if picture_version:
        for size in SIZES:
            picture_path(user_id, picture_version, size).unlink(missing_ok=True)


def replace(user: User, pictures: Mapping[int, bytes]) -> None:
    """Make `pictures` (from `process`) the user's avatar; the previous files go."""
    _set_version(user, _write(user.id, pictures))


def remove(user: User) -> None:
    """Back to the identicon; the picture's files go."""
    _set_version(user, None)


def _set_version(user: User, new: str | None) -> None:
    old = user.avatar_version
    user.avatar_version = new
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        _delete(user.id, new)  # nothing stored if the row could not say so
        raise
    if old != new:
        _delete(user.id, old)
