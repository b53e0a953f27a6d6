"""Assistive technology: axe-core finds nothing on any page, on a desktop and on a phone;
Escape closes the hover card; after a form comes back with errors the focus is on the first
invalid field, which names its error.

axe-core is vendored under tests/vendor/ (tests/vendor/VERSIONS.md); the app never serves
it. Playwright adds it to every page as an init script: `page.add_script_tag` would insert an
inline <script>, which the app's Content-Security-Policy (rightly) refuses. Each state is
also saved as a screenshot in tests/screenshots/ (look at them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from microblog.extensions import db
from microblog.models import Message, Post, User
from microblog.models.base import utcnow
from microblog.services import follows, likes, messages, posts
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
REQUIRED = re.compile("This field is required")

ANONYMOUS_PAGES = {
    "login": "/auth/login",
    "register": "/auth/register",
    "reset-request": "/auth/reset_password_request",
}
PAGES = {
    "home": "/index",
    "explore": "/explore",
    "own-profile": "/user/alice",
    "other-profile": "/user/bob",
    "edit-profile": "/edit_profile",
    "messages": "/messages",
    "conversation": "/messages/bob",
    "send-message": "/send_message/bob",
    "activity": "/activity",
    "thread": "/post/1",
    "edit-post": "/post/1/edit",
    "search": "/search?q=tea",
    "export": "/export_posts",
    "sessions": "/auth/sessions",
    "not-found": "/user/nobody",
}


def make_site(app: Flask) -> None:
    """alice (the reader) follows bob; both have posts; bob has written to alice."""
    with app.app_context():
        alice = User(username="alice", email="alice@example.com", about_me="I like tea.")
        bob = User(
            username="bob",
            email="bob@example.com",
            about_me="Bob writes about tea, trains and the weather, at some length.",
        )
        for user in (alice, bob):
            user.set_password(PASSWORD)
        db.session.add_all([alice, bob])
        now = utcnow()
        db.session.add_all(
            Post(
                body=f"{author.username} likes tea, note {i}",
                author=author,
                language="en",
                timestamp=now - timedelta(minutes=i + 1),
            )
            for i in range(30)
            for author in (alice, bob)
        )
        db.session.flush()
        follows.follow(alice, bob)
        # A thread on alice's first post, and activity for her page: a reply, a like.
        first = db.session.get(Post, 1)
        reply = posts.create(bob, "@alice which tea, exactly?", reply_to=first)
        reply.timestamp = now - timedelta(hours=1)  # below the others: lists start as before
        likes.like(bob, first)
        db.session.add_all(
            Message(sender_id=bob.id, recipient_id=alice.id, body=f"Hello alice, {i}")
            for i in range(3)
        )
        db.session.flush()
        messages.refresh_unread(alice.id)
        db.session.commit()


@pytest.fixture
def site(live_app: Flask) -> None:
    make_site(live_app)


def log_in(page: Page, username: str = "alice") -> None:
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("h1")).to_have_text(f"Hi, {username}!")


def snap(page: Page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}.png"), full_page=full_page)


def card_of(name: Locator) -> Locator:
    """The hover card of a username link (the popover it names)."""
    return name.page.locator(f"#{name.get_attribute('interestfor')} .popup-card")


def page_states(page: Page, viewport: str) -> Iterator[str]:
    """Walk through every page (and a few states within them), yielding each one's name."""
    for name, url in ANONYMOUS_PAGES.items():
        page.goto(url)
        yield name
    page.goto("/auth/login")
    page.click("#submit")  # nothing typed: the errors next to the fields
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    yield "login-errors"

    log_in(page)
    for name, url in PAGES.items():
        page.goto(url)
        yield name

    page.goto("/index")
    page.click("#post-form #submit")  # htmx swaps the form back with its error
    expect(page.locator("#post-form .invalid-feedback")).to_be_visible()
    yield "post-errors"

    if viewport == "phone":
        page.click("nav .navbar-toggler")
        expect(page.locator("#navbar-menu")).to_have_class(re.compile(r"\bshow\b"))
        yield "menu-open"
    page.goto("/explore")
    name = page.locator(".post .user-link a").first
    name.hover()
    expect(card_of(name)).to_be_visible()
    yield "hover-card"


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule it runs by default)."""
    return page.evaluate(
        """async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ')),
        }))"""
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_axe_finds_nothing(new_page, site, viewport: str) -> None:
    page = new_page(viewport=VIEWPORTS[viewport])
    page.context.add_init_script(path=str(AXE))
    found = {}
    for state in page_states(page, viewport):
        snap(page, f"{viewport}-{state}")
        violations = axe_violations(page)
        if violations:
            found[state] = violations
    assert not found, json.dumps(found, indent=1)


def test_escape_closes_the_hover_card(new_page, site) -> None:
    page = new_page(viewport=DESKTOP)
    log_in(page)
    page.goto("/explore")
    names = page.locator(".post .user-link a")  # bob, alice, bob...

    # A mouse resting on a name opens its card; Escape closes it, the pointer unmoved.
    name, card = names.nth(1), card_of(names.nth(1))
    name.hover()
    expect(card).to_be_visible()
    expect(card).to_contain_text("0 followers, 1 following")
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    page.mouse.move(0, 0)
    name.hover()
    expect(card).to_be_visible()
    page.mouse.move(0, 0)
    expect(card).to_be_hidden()

    # The keyboard: Tab onto a name loads and opens its card, Tab goes into the card (it
    # stays open), Escape closes it and brings the focus back to the name.
    name, card = names.first, card_of(names.first)
    page.locator("nav").get_by_role("button", name="Logout").focus()
    page.keyboard.press("Tab")
    expect(name).to_be_focused()
    expect(card).to_be_visible()
    expect(card).to_contain_text("1 follower, 0 following")
    page.keyboard.press("Tab")
    expect(card.locator("a").first).to_be_focused()
    expect(card).to_be_visible()
    snap(page, "escape-card-focused", full_page=False)
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    expect(name).to_be_focused()


def test_the_first_invalid_field_has_the_focus(new_page, site, javascript) -> None:
    page = new_page(javascript=javascript)
    page.goto("/auth/register")
    page.fill("#email", "not an address")
    page.click("#submit")
    username = page.locator("#username")
    expect(username).to_be_focused()
    expect(username).to_have_attribute("aria-invalid", "true")
    expect(username).to_have_accessible_description(REQUIRED)
    expect(page.locator("#email")).to_have_accessible_description(
        re.compile("Invalid email address")
    )

    # A form swapped in by htmx (a page without JavaScript) focuses its field too, and
    # what happened is said in the live flash area.
    log_in(page)
    page.click("#post-form #submit")
    expect(page.locator("#post")).to_be_focused()
    expect(page.locator("#post")).to_have_accessible_description(REQUIRED)
    page.fill("#post", "Tea time")
    page.click("#post-form #submit")
    expect(page.locator("#flashes[aria-live=polite]")).to_contain_text("Your post is now live!")
