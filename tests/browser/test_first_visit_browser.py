"""A first visit in Chromium, JavaScript on and off: weak passwords are refused where they
were typed, a new account is signed in at once, and no page asks another host for anything
(no CDN, no Gravatar: avatars are the app's own)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import ANONYMOUS_PAGES, PAGES, log_in, make_site


def fill_registration(page: Page, username: str, password: str) -> None:
    page.goto("/auth/register")
    page.fill("#username", username)
    page.fill("#email", f"{username}@example.com")
    page.fill("#password", password)
    page.fill("#password2", password)
    page.click("#submit")


def test_weak_password_refused_then_a_new_account_is_signed_in(
    new_page: Callable, javascript: bool, screenshot: Callable
) -> None:
    page = new_page(javascript=javascript)
    fill_registration(page, "newbie", "pw")
    error = page.locator("#password ~ .invalid-feedback")
    expect(error).to_have_text("Use at least 8 characters.")
    fill_registration(page, "newbie", "password1")
    expect(error).to_contain_text("too common")
    screenshot(page, "refused")
    fill_registration(page, "newbie", "a long enough passphrase")
    expect(page.locator("h1")).to_have_text("Hi, newbie!")
    expect(page.locator("#flashes")).to_contain_text("Welcome to Microblog, newbie!")


def test_no_page_requests_another_host(
    live_app,
    live_server: str,
    new_page: Callable,
    javascript: bool,  # noqa: ANN001
) -> None:
    make_site(live_app)
    page = new_page(javascript=javascript)
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if not request.url.startswith((live_server, "data:"))
            else None
        ),
    )
    for url in ANONYMOUS_PAGES.values():
        page.goto(url)
        page.wait_for_load_state("networkidle")
    log_in(page)
    for url in PAGES.values():
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert elsewhere == []
