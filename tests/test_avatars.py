"""Avatars served by the app (SPEC 19): identicons, uploaded pictures, Gravatar opt-in."""

from __future__ import annotations

import io
import re
import struct
import zlib
from hashlib import md5
from pathlib import Path

import pytest
from PIL import Image

from microblog.extensions import db
from microblog.models import User
from microblog.services import avatars, messages

FOREVER = "public, max-age=31536000, immutable"


def picture(fmt: str, size: tuple[int, int] = (90, 60), **save: object) -> bytes:
    """A small picture in `fmt`: left third red, middle green, right third blue."""
    image = Image.new("RGB", size, "green")
    third = size[0] // 3
    image.paste("red", (0, 0, third, size[1]))
    image.paste("blue", (size[0] - third, 0, size[0], size[1]))
    if fmt == "GIF":
        image = image.convert("P")
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def upload(client, data: bytes, filename: str = "me.png", **fields: str):  # noqa: ANN001, ANN201
    form = {"username": "alice", "about_me": "", "timezone": "UTC", **fields}
    form["avatar"] = (io.BytesIO(data), filename)
    return client.post("/edit_profile", data=form, content_type="multipart/form-data")


def stored_files(app) -> list[Path]:  # noqa: ANN001
    return sorted(p for p in Path(app.config["AVATAR_DIR"]).rglob("*") if p.is_file())


def served(client, user: User, size: int = 128) -> Image.Image:  # noqa: ANN001
    db.session.refresh(user)
    response = client.get(f"/avatar/{user.id}/{size}?v={user.avatar_version}")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert response.headers["Cache-Control"] == FOREVER
    return Image.open(io.BytesIO(response.data))


# -- The identicon --------------------------------------------------------------------


def test_identicon_is_served_deterministic_and_cacheable(app, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    client = app.test_client()  # anonymous: avatars are public, as Gravatar's were
    first = client.get(f"/avatar/{alice.id}/48?v=id1")
    assert first.status_code == 200 and first.mimetype == "image/svg+xml"
    assert first.headers["Cache-Control"] == FOREVER
    assert first.text.startswith("<svg") and 'width="48"' in first.text
    assert client.get(f"/avatar/{alice.id}/48?v=id1").data == first.data
    assert client.get(f"/avatar/{bob.id}/48?v=id1").data != first.data
    assert 'width="128"' in client.get(f"/avatar/{alice.id}/128?v=id1").text
    assert avatars.identicon(alice.id, 64) == avatars.identicon(alice.id, 64)
    # A URL without the current version answers the avatar, but not for good.
    for query in ("", "?v=0123456789abcdef"):
        response = client.get(f"/avatar/{alice.id}/48{query}")
        assert response.status_code == 200 and response.headers["Cache-Control"] != FOREVER


@pytest.mark.parametrize("size", ["0", "32", "47", "49", "100", "256", "4096", "-48", "x"])
def test_sizes_we_do_not_show_are_404(client, alice, size):
    assert client.get(f"/avatar/{alice.id}/{size}?v=id1").status_code == 404


@pytest.mark.parametrize("user_id", ["999", "0", str(2**31), "abc", "-1"])
def test_unknown_ids_are_404(client, alice, user_id):
    assert client.get(f"/avatar/{user_id}/48?v=id1").status_code == 404


def test_pages_show_our_avatars_and_no_email_hash(client, alice, make_user, make_post):
    bob = make_user("bob")
    make_post(bob, "a post by bob")
    messages.send(bob, alice, "hello alice")
    pages = {
        url: client.get(url)
        for url in ("/index", "/explore", "/user/bob", "/user/bob/popup", "/messages")
    }
    hashes = [md5(u.email.lower().encode()).hexdigest() for u in (alice, bob)]
    for url, response in pages.items():
        assert response.status_code == 200, url
        assert "gravatar" not in response.text.lower(), url
        assert not any(digest in response.text for digest in hashes), url
        csp = response.headers["Content-Security-Policy"]
        assert "img-src 'self' data:;" in csp, url
        for src in re.findall(r'<img[^>]* src="([^"]+)"', response.text):
            assert src.startswith("/avatar/"), (url, src)
    assert f'src="/avatar/{bob.id}/48?v=id1"' in pages["/explore"].text
    assert f'src="/avatar/{bob.id}/128?v=id1"' in pages["/user/bob"].text
    assert f'src="/avatar/{bob.id}/64?v=id1"' in pages["/user/bob/popup"].text
    assert f'src="/avatar/{bob.id}/48?v=id1"' in pages["/messages"].text


def test_avatar_links_beside_the_username_are_hidden_from_assistive_technology(
    client, alice, make_post
):
    make_post(alice, "mine")
    page = client.get("/explore").text
    link = re.search(r'<a href="/user/alice"[^>]*tabindex="-1"[^>]*>', page).group(0)
    assert 'aria-hidden="true"' in link


# -- Uploaded pictures ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_upload_is_resized_square_reencoded_and_shown_on_rows(client, app, alice, make_post, fmt):
    make_post(alice, "my post")
    response = upload(client, picture(fmt, (300, 100)), f"me.{fmt.lower()}")
    assert response.status_code == 303, response.text
    db.session.refresh(alice)
    version = alice.avatar_version
    assert version and re.fullmatch(r"[0-9a-f]{16}", version)
    for size in avatars.SIZES:
        image = served(client, alice, size)
        assert image.format == "WEBP" and image.size == (size, size)
    # The centre square of a 300 x 100 picture is its green middle third.
    image = served(client, alice, 128).convert("RGB")
    for point in [(2, 2), (64, 64), (125, 125)]:
        red, green, blue = image.getpixel(point)
        assert green > 100 and red < 60 and blue < 60, (point, image.getpixel(point))
    for page in ("/explore", "/index", f"/user/{alice.username}"):
        text = client.get(page).text
        assert f"/avatar/{alice.id}/" in text and f"?v={version}" in text, page
        assert "?v=id1" not in text, page
    assert len(stored_files(app)) == len(avatars.SIZES)


def test_exif_orientation_is_applied_and_metadata_stripped(client, alice):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: shown turned 90 degrees clockwise
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8298] = "Alice Example, 12 Secret Street"  # Copyright
    image = Image.new("RGB", (200, 100), "blue")
    image.paste("red", (0, 0, 100, 100))  # stored: red left, blue right
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    assert b"SecretCam" in out.getvalue()
    assert upload(client, out.getvalue(), "photo.jpg").status_code == 303
    response = client.get(
        f"/avatar/{alice.id}/128?v={db.session.get(User, alice.id).avatar_version}"
    )
    assert b"SecretCam" not in response.data and b"Secret Street" not in response.data
    assert b"Exif" not in response.data and b"XMP" not in response.data
    served_image = Image.open(io.BytesIO(response.data))
    assert not served_image.getexif() and "exif" not in served_image.info
    rgb = served_image.convert("RGB")
    top, bottom = rgb.getpixel((64, 10)), rgb.getpixel((64, 118))
    assert top[0] > 150 and top[2] < 80, top  # as shown: red on top
    assert bottom[2] > 150 and bottom[0] < 80, bottom  # blue below


def test_gif_gives_its_first_frame(client, alice):
    frames = [Image.new("RGB", (64, 64), color) for color in ("red", "blue", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert upload(client, out.getvalue(), "anim.gif").status_code == 303
    red, green, blue = served(client, alice).convert("RGB").getpixel((64, 64))
    assert red > 200 and blue < 50


def test_transparency_is_kept(client, alice):
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (16, 16, 48, 48))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert upload(client, out.getvalue()).status_code == 303
    served_image = served(client, alice)
    assert served_image.mode == "RGBA" and served_image.getpixel((2, 2))[3] == 0


def make_big_file() -> bytes:
    return picture("PNG") + b"\x00" * (10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"just some text, not a picture\n" * 10, "notes.png", "not a PNG, JPEG, WebP or GIF"),
        (picture("BMP"), "old.bmp", "not a PNG, JPEG, WebP or GIF"),
        (picture("TIFF"), "scan.png", "not a PNG, JPEG, WebP or GIF"),
        (png_claiming(100_000, 100_000), "bomb.png", "too many pixels"),
        (png_claiming(20_000, 20_000), "bomb.png", "too many pixels"),
        (picture("PNG", (400, 400))[:300], "cut.png", "damaged or incomplete"),
        (picture("JPEG", (400, 400))[:2000], "cut.jpg", "damaged or incomplete"),
        (picture("WEBP", (400, 400))[:300], "cut.webp", "damaged or incomplete"),
        (picture("GIF", (400, 400))[:1000], "cut.gif", "damaged or incomplete"),
        (make_big_file(), "huge.png", "too large: at most 4 MB"),
        (b"", "empty.png", "empty"),
    ],
    ids=[
        "text",
        "bmp",
        "tiff",
        "bomb",
        "bomb-medium",
        "truncated-png",
        "truncated-jpeg",
        "truncated-webp",
        "truncated-gif",
        "10mb",
        "empty",
    ],
)
def test_refused_uploads_are_422_next_to_the_field_and_store_nothing(
    client, hx, app, alice, data, filename, message
):
    response = upload(client, data, filename, about_me="typed and kept")
    assert response.status_code == 422
    assert message in response.text
    assert 'class="form-control is-invalid"' in response.text
    assert "typed and kept" in response.text  # what else was typed is kept
    db.session.refresh(alice)
    assert alice.avatar_version is None and alice.about_me is None
    assert stored_files(app) == []
    form = {
        "username": "alice",
        "about_me": "",
        "timezone": "UTC",
        "avatar": (io.BytesIO(data), filename),
    }
    response = hx("POST", "/edit_profile", data=form, content_type="multipart/form-data")
    assert (
        response.status_code == 422 and message in response.text and "<html" not in response.text
    )
    assert stored_files(app) == []


def test_a_request_too_big_to_read_is_a_clear_413(client, hx, app, alice):
    data = b"\x00" * (17 * 1024 * 1024)  # over 4 x AVATAR_MAX_BYTES
    response = upload(client, data, "huge.png")
    assert response.status_code == 303 and response.location.endswith("/edit_profile")
    assert "too large: at most 4 MB" in client.get("/edit_profile").text
    form = {"username": "alice", "avatar": (io.BytesIO(data), "huge.png")}
    response = hx("POST", "/edit_profile", data=form, content_type="multipart/form-data")
    assert response.status_code == 413 and response.headers["HX-Retarget"] == "#flashes"
    assert "too large: at most 4 MB" in response.text
    assert stored_files(app) == [] and db.session.get(User, alice.id).avatar_version is None
    # Elsewhere the limit stays 1 MB.
    assert client.post("/index", data={"post": "x" * (2 * 1024 * 1024)}).status_code == 413


def test_a_new_picture_replaces_the_old_one_and_remove_goes_back_to_the_identicon(
    client, app, alice, make_post
):
    make_post(alice, "my post")
    upload(client, picture("PNG"))
    first = db.session.get(User, alice.id).avatar_version
    assert "Remove picture" in client.get("/edit_profile").text
    upload(client, picture("JPEG"), "second.jpg")
    second = db.session.get(User, alice.id).avatar_version
    assert second != first and len(stored_files(app)) == len(avatars.SIZES)
    assert all(second in path.name for path in stored_files(app))
    # The old URL now answers the current picture, and only for a while.
    stale = client.get(f"/avatar/{alice.id}/48?v={first}")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] != FOREVER
    form = {"username": "alice", "about_me": "", "timezone": "UTC", "remove_avatar": "y"}
    response = client.post("/edit_profile", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    assert db.session.get(User, alice.id).avatar_version is None
    assert stored_files(app) == []
    assert f'src="/avatar/{alice.id}/48?v=id1"' in client.get("/explore").text
    assert "Remove picture" not in client.get("/edit_profile").text
    response = client.get(f"/avatar/{alice.id}/48?v=id1")
    assert response.mimetype == "image/svg+xml" and response.headers["Cache-Control"] == FOREVER


def test_a_missing_file_falls_back_to_the_identicon_for_now(client, app, alice):
    upload(client, picture("PNG"))
    for path in stored_files(app):
        path.unlink()
    version = db.session.get(User, alice.id).avatar_version
    response = client.get(f"/avatar/{alice.id}/48?v={version}")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] != FOREVER


def test_profile_form_takes_files(client, alice):
    page = client.get("/edit_profile").text
    assert 'enctype="multipart/form-data"' in page
    assert re.search(
        r'<input[^>]*accept="image/png,image/jpeg,image/webp,image/gif"[^>]*name="avatar"[^>]*type="file"',
        page,
    )
    assert "PNG, JPEG, WebP or GIF, at most 4 MB." in page


def test_api_links_to_the_avatar_with_an_absolute_url(app, client, alice):
    with app.test_request_context():
        assert alice.avatar(128, external=True) == f"http://localhost/avatar/{alice.id}/128?v=id1"


# -- Gravatar, opt-in -----------------------------------------------------------------


def test_gravatar_is_off_by_default(app):
    assert app.config["AVATAR_GRAVATAR"] is False


@pytest.mark.parametrize("app_config", [{"AVATAR_GRAVATAR": True}])
def test_gravatar_when_the_site_opts_in(client, alice):
    response = client.get("/user/alice")
    digest = md5(b"alice@example.com").hexdigest()
    assert f"https://www.gravatar.com/avatar/{digest}?d=identicon&amp;s=128" in response.text
    assert "https://www.gravatar.com" in response.headers["Content-Security-Policy"]
    # A picture of one's own still wins.
    upload(client, picture("PNG"))
    assert "gravatar" not in client.get("/user/alice").text
