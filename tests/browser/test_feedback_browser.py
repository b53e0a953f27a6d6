"""Feedback in Chromium (SPEC 18, 21): busy and single-shot controls, errors where the user
acted (an error answer, no answer at all), flashes that replace each other and fade, the post
box's budget, the favicon, and no Content-Security-Policy violation on the main flows.
JavaScript on and off; desktop (1280×900) and phone (390×844). Screenshots go to
tests/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, Route, expect
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Message, Post, User
from microblog.models.base import utcnow
from tests.conftest import PASSWORD

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SENT = "Your post is now live!"
UNREACHABLE = "Could not reach Microblog. Check your connection and try again."


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> dict:
    return {"desktop": DESKTOP, "phone": PHONE}[request.param]


@pytest.fixture
def site(live_app: Flask) -> None:
    """alice, and bob with 30 posts (two pages of home once alice follows him)."""
    with live_app.app_context():
        now = utcnow()
        for name in ("alice", "bob"):
            user = User(username=name, email=f"{name}@example.com")
            user.set_password(PASSWORD)
            db.session.add(user)
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        db.session.add_all(
            Post(
                body=f"bob post {i:02d}",
                author=bob,
                language="en",
                timestamp=now - timedelta(minutes=i + 1),
            )
            for i in range(30)
        )
        db.session.commit()


def rows(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def log_in(page: Page, username: str = "alice") -> None:
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("h1")).to_have_text(f"Hi, {username}!")


def open_home(new_page: Callable, javascript: bool, viewport: dict | None = None) -> Page:
    page = new_page(javascript=javascript)
    page.set_viewport_size(viewport or DESKTOP)
    log_in(page)
    return page


def hold(page: Page, pattern: str, method: str = "POST") -> list[Route]:
    """A slow network: requests matching `pattern` wait until the test releases them."""
    held: list[Route] = []

    def handler(route: Route) -> None:
        if route.request.method == method:
            held.append(route)
        else:
            route.continue_()

    page.route(pattern, handler)
    return held


def release(page: Page, held: list[Route], pattern: str) -> None:
    for route in held:
        route.continue_()
    page.unroute(pattern)


# Busy and single-shot ----------------------------------------------------------------------


def test_double_click_on_a_slow_network_stores_one_post(
    new_page, live_app, site, javascript, viewport, screenshot
):
    page = open_home(new_page, javascript, viewport)
    held = hold(page, "**/index")
    page.fill("#post", "Slow but sure")
    page.dblclick("#post-form #submit")
    if javascript:
        # In flight: the form says so, its button is off; a third click does nothing.
        expect(page.locator("#post-form")).to_have_class(re.compile(r"\bhtmx-request\b"))
        expect(page.locator("#post-form #submit")).to_be_disabled()
        expect(page.locator(".page-progress")).to_be_visible()
        page.locator("#post-form #submit").click(force=True)
        screenshot(page, "busy")
    page.wait_for_timeout(300)
    # htmx sends once; without JavaScript the browser may send twice (the key makes it one).
    assert 1 <= len(held) <= 2 and (len(held) == 1 or not javascript)
    release(page, held, "**/index")
    expect(page.locator("#post-list .post").first).to_contain_text("Slow but sure")
    expect(page.locator("#post-list .post", has_text="Slow but sure")).to_have_count(1)
    expect(page.locator("#post-form #submit")).to_be_enabled()
    expect(page.locator("#post-form #submit")).to_have_text("Post")
    assert rows(live_app, Post) == 31


def test_back_and_resubmit_or_a_resent_post_make_one_post(new_page, live_app, site):
    """Without JavaScript: Back refills the box with the words just posted (the page itself
    is fetched anew, with a new key) and Post sends them again; a resent POST repeats the
    first sending's key. Both are answered with the one post."""
    page = open_home(new_page, javascript=False)
    key = page.input_value("input[name=submission_key]")
    page.fill("#post", "Said once")
    page.click("#post-form #submit")
    expect(page.locator("#flashes")).to_contain_text(SENT)
    page.go_back()
    expect(page.locator("#post")).to_have_value("Said once")
    page.click("#post-form #submit")
    expect(page.locator("#flashes")).to_contain_text(SENT)
    expect(page.locator("#post-list .post", has_text="Said once")).to_have_count(1)
    resent = page.request.post(
        "/index",
        form={
            "post": "Said once",
            "submission_key": key,
            "csrf_token": page.input_value("#csrf_token"),
        },
    )
    assert resent.ok and resent.text().count("Said once") == 1
    assert rows(live_app, Post) == 31


def test_pager_and_follow_are_busy_then_single(new_page, live_app, site, screenshot):
    page = open_home(new_page, javascript=True)
    page.goto("/user/bob")
    held = hold(page, "**/follow/bob")
    page.click(".follow-form button")
    expect(page.locator(".follow-form")).to_have_class(re.compile(r"\bhtmx-request\b"))
    expect(page.locator(".follow-form button")).to_be_disabled()
    screenshot(page, "follow-busy")
    release(page, held, "**/follow/bob")
    expect(page.locator(".follow-form button")).to_have_text("Unfollow")
    expect(page.locator(".follow-counts").first).to_have_text("1 follower, 0 following")

    page.goto("/index")
    held = hold(page, "**/index?page=*", method="GET")
    pager = page.locator("a.pager")
    # It loads as it comes into view (a click could land after it has started).
    pager.scroll_into_view_if_needed()
    expect(pager).to_have_class(re.compile(r"\bhtmx-request\b"))
    assert pager.evaluate("a => getComputedStyle(a).pointerEvents") == "none"
    screenshot(page, "pager-busy")
    release(page, held, "**/index?page=*")
    expect(page.locator("#post-list .post")).to_have_count(30)


# Errors where the user acted --------------------------------------------------------------


def test_offline_post_says_so_and_keeps_the_text(new_page, live_app, site, viewport, screenshot):
    page = open_home(new_page, javascript=True, viewport=viewport)
    page.fill("#post", "Written in a tunnel")
    page.context.set_offline(True)
    page.click("#post-form #submit")
    error = page.locator("#post-form-error")
    expect(error).to_contain_text(UNREACHABLE)
    expect(error).to_contain_text("Your text is still here.")
    expect(page.locator("#post")).to_have_value("Written in a tunnel")
    expect(page.locator("#post-form #submit")).to_be_enabled()
    screenshot(page, "offline")

    # Out of the tunnel: the same text goes, and the message with the form it was in.
    page.context.set_offline(False)
    page.click("#post-form #submit")
    expect(page.locator("#post-list .post").first).to_contain_text("Written in a tunnel")
    expect(page.locator("#post-form-error")).to_be_empty()
    expect(page.locator("#flashes")).to_contain_text(SENT)
    expect(page.locator("#flashes")).not_to_contain_text("Could not reach")
    assert rows(live_app, Post) == 31


def test_offline_links_and_buttons_say_so_in_the_flash_area(new_page, live_app, site):
    page = open_home(new_page, javascript=True)
    page.goto("/user/bob")
    page.context.set_offline(True)
    page.click(".follow-form button")
    expect(page.locator("#flashes .alert-danger")).to_have_text(UNREACHABLE)
    expect(page.locator(".follow-form button")).to_be_enabled()
    page.click("nav >> text=Explore")
    expect(page.locator("#flashes .alert-danger")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("User: bob")  # still where they were
    page.context.set_offline(False)
    page.click(".follow-form button")
    expect(page.locator(".follow-form button")).to_have_text("Unfollow")


def test_error_answer_shows_under_the_button_and_keeps_the_text(new_page, live_app, site):
    """An error answer (here a refused security token) goes where the form says errors go
    (hx-status:4xx), not over the form."""
    page = open_home(new_page, javascript=True)
    page.evaluate(
        "() => { document.body.setAttribute('hx-headers:inherited', '{\"X-CSRFToken\": \"bad\"}');"
        " document.querySelector('#csrf_token').value = 'bad'; }"
    )
    page.fill("#post", "Kept despite the error")
    page.click("#post-form #submit")
    expect(page.locator("#post-form-error .alert-danger")).to_contain_text("security token")
    expect(page.locator("#post")).to_have_value("Kept despite the error")
    expect(page.locator("#post-form #submit")).to_be_enabled()
    assert rows(live_app, Post) == 30


# Flashes ----------------------------------------------------------------------------------


def test_three_posts_one_success_alert(new_page, live_app, site, javascript, viewport, screenshot):
    page = open_home(new_page, javascript, viewport)
    for n in range(3):
        page.fill("#post", f"Post number {n}")
        page.click("#post-form #submit")
        expect(page.locator("#post-list .post").first).to_contain_text(f"Post number {n}")
    alerts = page.locator("#flashes .alert")
    expect(alerts).to_have_count(1)
    expect(alerts).to_have_text(SENT)
    close = alerts.locator(".btn-close")
    screenshot(page, "flash")
    if javascript:  # Bootstrap's JavaScript closes it
        expect(close).to_be_visible()
        close.click()
        expect(page.locator("#flashes .alert")).to_have_count(0)
    else:  # no dead ×, and no room kept for it
        expect(close).to_be_hidden()


def test_success_fades_by_itself_with_javascript(new_page, browser, live_server, site):
    page = open_home(new_page, javascript=True)
    page.fill("#post", "Fading news")
    page.click("#post-form #submit")
    alert = page.locator("#flashes .alert-success")
    expect(alert).to_be_visible()
    assert alert.evaluate("a => getComputedStyle(a).animationName") == "mb-flash-out"
    page.evaluate("document.getAnimations().forEach(a => { a.currentTime = 7100; })")
    expect(alert).to_be_hidden()

    # With reduced motion it stays (the × closes it).
    context = browser.new_context(base_url=live_server, reduced_motion="reduce")
    try:
        calm = context.new_page()
        log_in(calm)
        calm.fill("#post", "Calm news")
        calm.click("#post-form #submit")
        calm_alert = calm.locator("#flashes .alert-success")
        expect(calm_alert).to_be_visible()
        assert calm_alert.evaluate("a => getComputedStyle(a).animationName") == "none"
    finally:
        context.close()


# The post box's budget -------------------------------------------------------------------


def test_budget_as_you_type_and_on_submit(
    new_page, live_app, site, javascript, viewport, screenshot
):
    page = open_home(new_page, javascript, viewport)
    budget = page.locator("#post-budget")
    expect(budget).to_have_text("Up to 140 characters.")
    if javascript:
        page.locator("#post").press_sequentially("Hello there", delay=20)
        expect(budget).to_have_text("129 characters left")
        page.fill("#post", "x" * 145)
        expect(budget).to_have_text("5 characters too many")
        expect(budget).to_have_class(re.compile(r"\bover\b"))
        screenshot(page, "budget-over")
        page.fill("#post", "x" * 140)
        expect(budget).to_have_text("0 characters left")
        expect(budget).not_to_have_class(re.compile(r"\bover\b"))
    else:  # the normal submit checks
        page.fill("#post", "x" * 145)
        page.click("#post-form #submit")
        expect(page.locator("#post-form .invalid-feedback")).to_be_visible()
        expect(budget).to_have_text("5 characters too many")
        expect(page.locator("#post")).to_have_value("x" * 145)
        screenshot(page, "budget-refused")
    assert rows(live_app, Post) == 30


# Favicon and the Content-Security-Policy ----------------------------------------------------


def test_no_failed_load_and_no_csp_violation_on_the_main_flows(
    new_page, live_app, site, screenshot
):
    page = new_page(javascript=True)
    page.set_viewport_size(DESKTOP)
    console: list[ConsoleMessage] = []
    failed: list[str] = []
    page.on("console", lambda message: console.append(message))
    page.on(
        "response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    log_in(page)
    assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith("/favicon.svg")

    # Post: refused (with the box resized by hand: htmx once copied its style attribute),
    # then accepted; type in the box; load older posts; follow; explore; send a message.
    page.locator("#post").evaluate("box => { box.style.height = '9rem'; }")
    page.click("#post-form #submit")
    expect(page.locator("#post-form .invalid-feedback")).to_be_visible()
    page.locator("#post").press_sequentially("Hi", delay=20)
    expect(page.locator("#post-budget")).to_have_text("138 characters left")
    page.click("#post-form #submit")
    expect(page.locator("#flashes")).to_contain_text(SENT)
    page.goto("/user/bob")
    page.click(".follow-form button")
    expect(page.locator(".follow-form button")).to_have_text("Unfollow")
    page.click("nav >> text=Home")
    expect(page.locator("h1")).to_have_text("Hi, alice!")
    page.locator("a.pager").scroll_into_view_if_needed()  # it loads as it comes into view
    expect(page).to_have_url(re.compile(r"/index\?page=[\w-]+$"))
    page.click("nav >> text=Explore")
    expect(page.locator("h1")).to_have_text("Explore")
    page.goto("/send_message/bob")
    page.fill("#message", "Hello Bob")
    page.click("#message-form #submit")
    expect(page.locator("#message-form")).to_contain_text("has been sent")
    page.goto("/index")
    page.context.set_offline(True)
    page.fill("#post", "offline")
    page.click("#post-form #submit")
    expect(page.locator("#post-form-error")).to_contain_text("Could not reach")
    page.context.set_offline(False)
    screenshot(page, "flows")

    violations = [m.text for m in console if "Content Security Policy" in m.text]
    assert violations == []
    # The 422 of the refused post is the only answer in error: no 404 (the favicon).
    assert [f for f in failed if not f.startswith("422 ")] == []
    assert rows(live_app, Message) == 1
