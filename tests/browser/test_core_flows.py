"""A person's first minutes, in Chromium, with JavaScript on (htmx) and off (plain HTML)."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page, expect

from microblog.extensions import db
from microblog.models import Post, User
from microblog.models.base import utcnow

PASSWORD = "s3cret-pass"


def register_and_login(page: Page, username: str) -> None:
    """Register: the new account is signed in at once and lands on its home page."""
    page.goto("/auth/register")
    page.fill("#username", username)
    page.fill("#email", f"{username}@example.com")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("#submit")
    expect(page.locator(".alert-success")).to_contain_text(f"Welcome to Microblog, {username}!")
    expect(page.locator("h1")).to_have_text(f"Hi, {username}!")


def add_posts(app: Flask, username: str, count: int) -> None:
    with app.app_context():
        author = User(username=username, email=f"{username}@example.com")
        author.set_password(PASSWORD)
        db.session.add(author)
        now = utcnow()
        db.session.add_all(
            Post(
                body=f"{username} post {i:02d}",
                author=author,
                language="en",
                timestamp=now - timedelta(minutes=i + 1),
            )
            for i in reversed(range(count))  # written oldest first, as people do
        )
        db.session.commit()


def test_register_post_follow_paginate(new_page, live_app, javascript, screenshot):
    add_posts(live_app, "bob", 30)
    page = new_page(javascript=javascript)
    register_and_login(page, "alice")

    # Posting: an empty post is refused next to the field; a real one appears on top.
    page.click("#post-form #submit")
    expect(page.locator("#post-form .invalid-feedback")).to_have_text("This field is required.")
    page.fill("#post", "Hello <world> from the browser")
    page.click("#post-form #submit")
    expect(page.locator("#post-list .post").first).to_contain_text(
        "Hello <world> from the browser"
    )
    expect(page.locator("#post")).to_have_value("")
    expect(page.locator("#flashes")).to_contain_text("Your post is now live!")
    screenshot(page, "home")

    # Following bob from his profile changes the button and the counts at once.
    page.goto("/user/bob")
    expect(page.locator(".follow-counts")).to_have_text("0 followers, 0 following")
    page.click(".follow-form button")
    expect(page.locator(".follow-form button")).to_have_text("Unfollow")
    expect(page.locator(".follow-counts")).to_have_text("1 follower, 0 following")
    screenshot(page, "profile")

    # Home now has bob's posts; "older posts" brings page 2.
    page.goto("/index")
    expect(page.locator("#post-list .post")).to_have_count(25)
    if javascript:  # it loads as it scrolls into view (a click could come after it did)
        page.locator("a.pager").scroll_into_view_if_needed()
    else:
        page.click("a.pager")
    expect(page).to_have_url(re.compile(r"/index\?page=[\w-]+$"))
    if javascript:  # loaded in place: page 1 is still there, and the address bar moved
        expect(page.locator("#post-list .post")).to_have_count(31)
        expect(page.locator("h1")).to_have_text("Hi, alice!")
    else:  # a plain link to the next page
        expect(page.locator("#post-list .post")).to_have_count(6)
    expect(page.locator("a.pager")).to_have_count(0)
    screenshot(page, "page2")

    # Unfollow brings the counts back.
    page.goto("/user/bob")
    page.click(".follow-form button")
    expect(page.locator(".follow-counts")).to_have_text("0 followers, 0 following")


def test_login_redirects_back_and_logout(new_page, live_app, javascript):
    add_posts(live_app, "bob", 1)
    page = new_page(javascript=javascript)
    page.goto("/explore")
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    page.fill("#username", "bob")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("h1")).to_have_text("Explore")
    page.click("nav button:has-text('Logout')")
    expect(page.locator("nav")).to_contain_text("Login")


def test_hover_card_and_unknown_profile(new_page, live_app, screenshot):
    add_posts(live_app, "bob", 1)
    page = new_page(javascript=True)
    register_and_login(page, "carol")
    page.goto("/explore")
    page.hover(".post .user-link a")
    card = page.locator(".user-popup .popup-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("0 followers, 0 following")
    screenshot(page, "popup")
    card.locator(".follow-form button").click()
    expect(card.locator(".follow-counts")).to_have_text("1 follower, 0 following")
    page.goto("/user/nobody")
    expect(page.locator("h1")).to_have_text("Not Found")
