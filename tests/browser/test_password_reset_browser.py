"""A person who forgot their password gets a link by email and signs in with a new one.

The mail goes through a real SMTP server (aiosmtpd on a free loopback port); the
browser opens the link read from that inbox. Runs with JavaScript (htmx) and without.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from microblog.extensions import db
from microblog.models import User
from tests.conftest import PASSWORD, make_app
from tests.mailbox import Mailbox, link_in

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def live_app(tmp_path: Path, mailbox: Mailbox) -> Iterator[Flask]:
    """The harness's app (CSRF on, not TESTING), sending its mail to `mailbox`."""
    app = make_app(
        tmp_path,
        WTF_CSRF_ENABLED=True,
        TESTING=False,
        LOG_DIR=str(tmp_path / "logs"),
        **mailbox.config(),
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        user = User(username="bob", email="bob@example.com")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def sign_in(page: Page, password: str) -> None:
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_forgot_password_to_new_password(
    new_page: Callable, mailbox: Mailbox, screenshot: Callable, javascript: bool
) -> None:
    page = new_page(javascript=javascript)
    page.goto("/auth/login")
    page.get_by_role("link", name="Click to Reset It").click()
    expect(page).to_have_url(f"{page.url.split('/auth/')[0]}/auth/reset_password_request")
    expect(page.get_by_role("heading", name="Reset Password")).to_be_visible()
    page.get_by_label("Email").fill("bob@example.com")
    screenshot(page, "1-request")
    page.get_by_role("button", name="Request Password Reset").click()
    expect(page.get_by_role("alert")).to_contain_text("Check your email")
    expect(page).to_have_url(f"{page.url.split('/auth/')[0]}/auth/login")
    screenshot(page, "2-check-your-email")

    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_tos == ["bob@example.com"]
    link = link_in(mail.part("text/plain"))
    assert f'href="{link}"' in mail.part("text/html")

    page.goto(link)
    expect(page.get_by_role("heading", name="Reset Your Password")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat Password").fill("not the same")
    page.get_by_role("button", name="Reset Password").click()
    expect(page.locator(".invalid-feedback")).to_have_text("Passwords must match.")
    screenshot(page, "3-mismatch")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Reset Password").click()
    expect(page.get_by_role("alert")).to_contain_text("Your password has been reset")
    screenshot(page, "4-reset-done")

    sign_in(page, PASSWORD)
    expect(page.locator(".invalid-feedback")).to_have_text("Invalid username or password")
    sign_in(page, NEW_PASSWORD)
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    screenshot(page, "5-signed-in")

    other = new_page(javascript=javascript)
    other.goto(link)
    expect(other.get_by_role("alert")).to_contain_text("invalid or has already been used")
    expect(other.get_by_role("heading", name="Reset Password")).to_be_visible()
    screenshot(other, "6-link-used")


def test_the_email_reads_well(new_page: Callable, mailbox: Mailbox, screenshot: Callable) -> None:
    page = new_page(javascript=False)
    page.goto("/auth/reset_password_request")
    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_role("button", name="Request Password Reset").click()
    [mail] = mailbox.wait_for(1)
    reader = new_page(javascript=False)  # a blank page: not under the site's CSP
    reader.set_content(mail.part("text/html"))
    expect(reader.get_by_role("link", name="Reset your password")).to_have_attribute(
        "href", link_in(mail.part("text/plain"))
    )
    screenshot(reader, "email")
