"""Private messages as conversations in Chromium, with and without JavaScript: two people
write to each other from the conversation page, replies both ways; the inbox lists one row
per correspondent; older messages load above the latest; axe finds nothing, nothing scrolls
sideways on a phone. Screenshots at 1280x900 and 390x844 in tests/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from microblog.extensions import db
from microblog.models import Message
from microblog.models.base import utcnow
from microblog.services import messages
from tests.browser.conftest import DESKTOP, PHONE, log_in, make_users
from tests.browser.test_accessibility import AXE, axe_violations
from tests.browser.test_phones import sideways


@pytest.fixture
def users(live_app: Flask) -> dict[str, int]:
    return make_users(live_app, "alice", "bob", "carol")


def store(app: Flask, sender_id: int, recipient_id: int, body: str, minutes_ago: int) -> None:
    with app.app_context():
        message = Message(sender_id=sender_id, recipient_id=recipient_id, body=body)
        message.timestamp = utcnow() - timedelta(minutes=minutes_ago)
        db.session.add(message)
        db.session.flush()
        for user_id in (sender_id, recipient_id):
            messages.refresh_unread(user_id)
        db.session.commit()


def texts(page: Page) -> list[str]:
    return page.locator("#conversation-messages .message p").all_inner_texts()


def reply(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.click("#message-form #submit")


def test_a_conversation_with_replies_both_ways(live_app, users, new_page, screenshot, javascript):
    alice = new_page(javascript=javascript, viewport=DESKTOP)
    log_in(alice, "alice")
    alice.goto("/messages/bob")
    expect(alice.locator("h1")).to_have_text("Conversation with bob")
    expect(alice.locator("#conversation-messages")).to_contain_text("No messages yet")
    if javascript:
        expect(alice.locator("#message")).to_be_focused()  # ready to write
        alice.evaluate("window.notReloaded = true")
    reply(alice, "Hi Bob! Lunch today?")
    expect(alice.locator("#conversation-messages .message")).to_have_count(1)
    expect(alice.locator("#conversation-empty")).to_be_hidden()
    expect(alice.locator("#message")).to_have_value("")  # the form is reset
    expect(alice.locator("#flashes")).to_contain_text("Your message to bob has been sent.")
    expect(alice).to_have_url(re.compile(r"/messages/bob$"))
    if javascript:
        assert alice.evaluate("window.notReloaded") is True  # swapped in, no page load
        expect(alice.locator("#message")).to_be_focused()  # ready for the next one

    bob = new_page(javascript=javascript, viewport=DESKTOP)
    log_in(bob, "bob")
    expect(bob.locator("#unread-badge .badge")).to_have_text("1")
    bob.click("#navbar a[href='/messages']")
    row = bob.locator("#conversation-list .conversation")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Hi Bob! Lunch today?")
    expect(row).to_contain_text("1 unread message")
    expect(bob.locator("#unread-badge .badge")).to_have_count(0)  # seen
    screenshot(bob, "inbox")
    row.locator("a:text('alice')").click()
    expect(bob).to_have_url(re.compile(r"/messages/alice$"))
    expect(bob.locator("#conversation-messages .message")).to_contain_text("New")
    reply(bob, "Yes, at noon.")
    expect(bob.locator("#conversation-messages .message")).to_have_count(2)
    assert texts(bob) == ["Hi Bob! Lunch today?", "Yes, at noon."]
    expect(bob.locator(".message-own")).to_have_count(1)

    # Alice answers from the page she has had open: bob's reply, which came meanwhile,
    # appears before hers (with JavaScript in place; without, on the page she lands on).
    reply(alice, "See you then.")
    expected = ["Hi Bob! Lunch today?", "Yes, at noon.", "See you then."]
    expect(alice.locator("#conversation-messages .message")).to_have_count(3)
    assert texts(alice) == expected
    if javascript:
        assert alice.evaluate("window.notReloaded") is True
    screenshot(alice, "alice")

    bob.reload()
    expect(bob.locator("#conversation-messages .message")).to_have_count(3)
    assert texts(bob) == expected
    expect(bob.locator("#conversation-messages .badge:text('New')")).to_have_count(1)
    screenshot(bob, "bob")
    bob.goto("/messages")
    expect(bob.locator("#conversation-list")).to_contain_text("See you then.")
    expect(bob.locator("#conversation-list")).not_to_contain_text("unread message")
    with live_app.app_context():
        assert db.session.query(Message).count() == 3


def test_an_empty_reply_keeps_the_conversation(live_app, users, new_page, javascript):
    store(live_app, users["bob"], users["alice"], "Are you there?", minutes_ago=5)
    alice = new_page(javascript=javascript)
    log_in(alice, "alice")
    alice.goto("/messages/bob")
    alice.click("#message-form #submit")
    expect(alice.locator("#message-form .invalid-feedback")).to_have_text(
        "This field is required."
    )
    expect(alice.locator("#message")).to_be_focused()
    assert texts(alice) == ["Are you there?"]
    reply(alice, "Here!")
    expect(alice.locator("#conversation-messages .message")).to_have_count(2)
    assert texts(alice) == ["Are you there?", "Here!"]


def test_older_messages_load_above_the_latest(live_app, users, new_page, screenshot, javascript):
    live_app.config["POSTS_PER_PAGE"] = 3
    for n in range(1, 8):
        sender, recipient = ("bob", "alice") if n % 2 else ("alice", "bob")
        store(live_app, users[sender], users[recipient], f"message {n}", minutes_ago=60 - n)
    alice = new_page(javascript=javascript)
    log_in(alice, "alice")
    alice.goto("/messages/bob")
    assert texts(alice) == ["message 5", "message 6", "message 7"]
    # Bob writes meanwhile: "older" names the oldest message shown, so none repeats.
    store(live_app, users["bob"], users["alice"], "message 8", minutes_ago=0)
    alice.click("text=Older messages")
    if javascript:  # in place, above; the address stays the conversation's
        expect(alice.locator("#conversation-messages .message")).to_have_count(6)
        assert texts(alice) == [f"message {n}" for n in range(2, 8)]
        expect(alice).to_have_url(re.compile(r"/messages/bob$"))
        alice.click("text=Older messages")
        expect(alice.locator("#conversation-messages .message")).to_have_count(7)
        expect(alice.locator("text=Older messages")).to_have_count(0)
        expect(alice.locator("#message-form")).to_be_visible()
        alice.reload()  # the latest messages again, the new one too, and the form
        expect(alice.locator("#conversation-messages .message")).to_have_count(3)
        assert texts(alice) == ["message 6", "message 7", "message 8"]
        expect(alice.locator("#message-form")).to_be_visible()
    else:  # a page of its own, back to the newer ones
        expect(alice).to_have_url(re.compile(r"/messages/bob\?page=[A-Za-z0-9_-]+$"))
        alice.wait_for_load_state()  # the whole page, not its first rows
        assert texts(alice) == ["message 2", "message 3", "message 4"]
        expect(alice.locator("#message-form")).to_have_count(0)
        alice.click("text=Newer messages")
        expect(alice).to_have_url(re.compile(r"/messages/bob\?page=1$"))
        alice.wait_for_load_state()
        assert texts(alice) == ["message 6", "message 7", "message 8"]
    screenshot(alice, "older")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_inbox_and_conversation_for_axe_and_phones(
    live_app, users, new_page, screenshot, viewport
):
    size = DESKTOP if viewport == "desktop" else PHONE
    long_word = "https://example.com/" + "a" * 100
    store(live_app, users["bob"], users["alice"], "Lunch at noon? " + long_word, 30)
    store(live_app, users["alice"], users["bob"], "Yes! See you at the usual place.", 20)
    store(live_app, users["carol"], users["alice"], "Did you get my note?", 10)
    store(live_app, users["bob"], users["alice"], "Great, see you there.", 5)
    page = new_page(viewport=size)
    page.context.add_init_script(path=str(AXE))
    log_in(page, "alice")
    found = {}
    for name, url in (("inbox", "/messages"), ("conversation", "/messages/bob")):
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        screenshot(page, name)
        if violations := axe_violations(page):
            found[name] = violations
        assert sideways(page) == 0, name
    page.fill("#message", "")
    page.click("#message-form #submit")
    expect(page.locator("#message-form .invalid-feedback")).to_be_visible()
    if violations := axe_violations(page):
        found["reply-error"] = violations
    assert not found, found
