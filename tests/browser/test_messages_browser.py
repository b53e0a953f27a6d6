"""Two people in two browsers: A sends B a private message, B's badge shows it, B reads it.
(tests/browser/test_conversations_browser.py has the conversation page and its replies.)"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, Response, expect

from microblog.extensions import db
from microblog.models import Message, User
from microblog.models.base import utcnow
from microblog.services import messages
from tests.browser.conftest import log_in, make_users


@pytest.fixture
def users(live_app: Flask) -> dict[str, int]:
    return make_users(live_app, "alice", "bob")


def store_message(app: Flask, sender_id: int, recipient_id: int, body: str, days_ago: int = 0):
    with app.app_context():
        message = Message(sender_id=sender_id, recipient_id=recipient_id, body=body)
        if days_ago:
            message.timestamp = utcnow() - timedelta(days=days_ago)
        db.session.add(message)
        db.session.flush()
        messages.refresh_unread(sender_id)
        messages.refresh_unread(recipient_id)
        db.session.commit()


def is_badge(response: Response) -> bool:
    return "/notifications/badge" in response.url


def poll(page: Page) -> Response:
    """Advance the page's fake clock one poll interval and wait for the badge's answer."""
    with page.expect_response(is_badge) as answer:
        page.clock.run_for("00:10")
    return answer.value


def badge_count(page: Page):  # noqa: ANN201
    return page.locator("#unread-badge .badge")


def test_badge_shows_a_new_message_without_reload_and_clears_on_read(
    live_app, users, new_page, screenshot
):
    bob = new_page()
    bob.clock.install()
    log_in(bob, "bob")
    bob.goto("/explore")
    expect(badge_count(bob)).to_have_count(0)
    assert poll(bob).status == 204  # nothing changed: nothing swapped
    bob.evaluate("window.notReloaded = true")

    alice = new_page()
    log_in(alice, "alice")
    alice.goto("/user/bob")
    alice.click("text=Send private message")
    expect(alice).to_have_url(re.compile(r"/send_message/bob$"))
    alice.fill("#message", "")
    alice.click("#message-form #submit")
    expect(alice.locator("#message-form .invalid-feedback")).to_have_text(
        "This field is required."
    )
    alice.evaluate("document.querySelector('#navbar').dataset.untouched = 'yes'")
    alice.fill("#message", "Hello Bob, lunch at noon?")
    with alice.expect_response(is_badge) as own_badge:
        alice.click("#message-form #submit")
    expect(alice.locator("#message-form")).to_contain_text("Your message to bob has been sent.")
    assert own_badge.value.status == 204  # the sender's badge re-checked; nothing to swap
    expect(alice.locator("#navbar")).to_have_attribute("data-untouched", "yes")
    expect(alice).to_have_url(re.compile(r"/send_message/bob$"))
    screenshot(alice, "alice-sent")

    assert poll(bob).status == 200
    expect(badge_count(bob)).to_have_text("1")
    expect(bob.locator("#unread-badge .visually-hidden")).to_have_text("1 unread message")
    expect(bob.locator(".unread-region[aria-live=polite] #unread-badge")).to_have_count(1)
    assert bob.evaluate("window.notReloaded") is True
    screenshot(bob, "bob-badge")

    # A second tab of B's, opened now, shows the count; it clears at its next poll.
    other_tab = bob.context.new_page()
    other_tab.clock.install()
    other_tab.goto("/index")
    expect(badge_count(other_tab)).to_have_text("1")

    bob.click("#navbar a[href='/messages']")
    expect(bob).to_have_url(re.compile(r"/messages$"))
    expect(bob.locator("#conversation-list")).to_contain_text("Hello Bob, lunch at noon?")
    expect(bob.locator("#conversation-list")).to_contain_text("1 unread message")
    expect(badge_count(bob)).to_have_count(0)
    screenshot(bob, "bob-read")

    assert poll(other_tab).status == 200
    expect(badge_count(other_tab)).to_have_count(0)
    assert poll(other_tab).status == 204

    # The conversation; the sender's name there has the hover card, to their profile.
    bob.click("#conversation-list a:text('alice')")
    expect(bob).to_have_url(re.compile(r"/messages/alice$"))
    expect(bob.locator("#conversation-messages")).to_contain_text("Hello Bob, lunch at noon?")
    bob.hover("#conversation-messages .user-link a")
    bob.clock.run_for("00:01")
    card = bob.locator("#conversation-messages .user-popup .popup-card")
    expect(card).to_contain_text("Send private message")
    screenshot(bob, "bob-hover-card")
    card.locator("text=Send private message").click()
    expect(bob).to_have_url(re.compile(r"/send_message/alice$"))


def test_reading_older_conversations_clears_the_badge_out_of_band(
    live_app, users, new_page, screenshot
):
    live_app.config["POSTS_PER_PAGE"] = 2
    with live_app.app_context():
        others = []
        for name in ("carol", "dave"):
            user = User(username=name, email=f"{name}@example.com")
            db.session.add(user)
            others.append(user)
        db.session.commit()
        carol, dave = (user.id for user in others)
    for day, sender in ((3, users["alice"]), (2, carol), (1, dave)):
        store_message(live_app, sender, users["bob"], f"{day} days ago", days_ago=day)
    # A short window: the pager below it (it loads as it scrolls into view, or on a click).
    bob = new_page(viewport={"width": 1100, "height": 200})
    bob.clock.install()
    log_in(bob, "bob")
    bob.goto("/messages")
    expect(badge_count(bob)).to_have_count(0)
    store_message(live_app, carol, users["bob"], "just now")
    assert poll(bob).status == 200
    expect(badge_count(bob)).to_have_text("1")
    # Scrolled into view, the pager loads itself (a click could land after it has gone).
    with bob.expect_response(lambda r: "/messages?page=" in r.url):
        bob.locator("text=Older conversations").scroll_into_view_if_needed()
    expect(bob.locator("#conversation-list")).to_contain_text("3 days ago")
    expect(badge_count(bob)).to_have_count(0)  # at once: no poll happened
    expect(bob).to_have_url(re.compile(r"/messages\?page=[A-Za-z0-9_-]+$"))  # a view
    screenshot(bob, "older-read")
    assert poll(bob).status == 204


def test_send_and_read_without_javascript(live_app, users, new_page, screenshot):
    alice = new_page(javascript=False)
    log_in(alice, "alice")
    alice.goto("/user/bob")
    alice.click("text=Send private message")
    alice.click("#submit")
    expect(alice.locator(".invalid-feedback")).to_have_text("This field is required.")
    expect(alice.locator("#message")).to_have_attribute("maxlength", "140")
    alice.fill("#message", "Hello Bob, no JavaScript here")
    alice.click("#submit")
    expect(alice).to_have_url(re.compile(r"/user/bob$"))
    expect(alice.locator("#flashes")).to_contain_text("Your message to bob has been sent.")
    screenshot(alice, "alice-sent")

    bob = new_page(javascript=False)
    log_in(bob, "bob")
    expect(badge_count(bob)).to_have_text("1")
    expect(bob.locator("#unread-badge .visually-hidden")).to_have_text("1 unread message")
    screenshot(bob, "bob-badge")
    bob.click("#navbar a[href='/messages']")
    expect(bob.locator("#conversation-list")).to_contain_text("Hello Bob, no JavaScript here")
    expect(badge_count(bob)).to_have_count(0)
    screenshot(bob, "bob-read")
    bob.click("#conversation-list a:text('alice')")
    expect(bob.locator("#conversation-messages")).to_contain_text("Hello Bob, no JavaScript")
    with live_app.app_context():
        assert db.session.query(Message).count() == 1
