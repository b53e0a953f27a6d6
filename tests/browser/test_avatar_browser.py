"""An avatar uploaded through the real form, with JavaScript on (a boosted form) and off;
no page asks another host for anything."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from flask import Flask
from PIL import Image
from playwright.sync_api import Page, expect

from microblog.extensions import db
from microblog.models import Post, User

PASSWORD = "s3cret-pass"


def make_author(app: Flask) -> None:
    with app.app_context():
        alice = User(username="alice", email="alice@example.com")
        alice.set_password(PASSWORD)
        db.session.add_all([alice, Post(body="alice writes", author=alice, language="en")])
        db.session.commit()


def photo() -> bytes:
    image = Image.new("RGB", (300, 200), "orange")
    image.paste("purple", (100, 50, 200, 150))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def log_in(page: Page) -> None:
    page.goto("/auth/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("h1")).to_have_text("Hi, alice!")


def test_upload_an_avatar_and_see_it_on_my_rows(new_page, live_app, javascript, screenshot):
    make_author(live_app)
    page = new_page(javascript=javascript)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    avatars: list[tuple[str, int, str]] = []
    page.on(
        "response",
        lambda r: (
            "/avatar/" in r.url
            and avatars.append((r.url, r.status, r.header_value("content-type") or ""))
        ),
    )
    log_in(page)
    page.goto("/user/alice")
    row_avatar = page.locator(".post img").first
    expect(row_avatar).to_have_attribute("src", re.compile(r"^/avatar/\d+/48\?v=id1$"))

    page.goto("/edit_profile")
    page.set_input_files(
        "#avatar", files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    page.click("#profile-form #submit")
    expect(page.locator("#flashes")).to_contain_text("Your changes have been saved.")
    expect(page.locator("#profile-form img")).to_have_attribute(
        "src", re.compile(r"^/avatar/\d+/64\?v=[0-9a-f]{16}$")
    )
    expect(page.locator("#remove_avatar")).to_be_visible()
    screenshot(page, "edit-profile")

    page.goto("/user/alice")
    expect(row_avatar).to_have_attribute("src", re.compile(r"^/avatar/\d+/48\?v=[0-9a-f]{16}$"))
    page.goto("/explore")
    expect(page.locator(".post img").first).to_have_attribute(
        "src", re.compile(r"^/avatar/\d+/48\?v=[0-9a-f]{16}$")
    )
    screenshot(page, "explore")
    with live_app.app_context():
        version = db.session.scalar(db.select(User.avatar_version))
    pictures = [a for a in avatars if f"v={version}" in a[0]]
    assert pictures and all(status == 200 and kind == "image/webp" for _, status, kind in pictures)

    # A file that is no picture: refused next to the field, nothing else changes.
    page.goto("/edit_profile")
    page.set_input_files(
        "#avatar", files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"hello"}]
    )
    page.click("#profile-form #submit")
    expect(page.locator("#profile-form .invalid-feedback")).to_have_text(
        "This file is not a PNG, JPEG, WebP or GIF picture."
    )

    # Remove picture: back to the identicon.
    page.goto("/edit_profile")
    page.check("#remove_avatar")
    page.click("#profile-form #submit")
    expect(page.locator("#flashes")).to_contain_text("Your changes have been saved.")
    page.goto("/user/alice")
    expect(row_avatar).to_have_attribute("src", re.compile(r"^/avatar/\d+/48\?v=id1$"))

    elsewhere = [url for url in requested if urlsplit(url).hostname not in {"127.0.0.1", None}]
    assert elsewhere == [], elsewhere
    assert not [url for url in requested if "gravatar" in url]
