"""Export your posts in a real browser: the progress bar finishes by itself (htmx polling),
and without JavaScript reloading the page shows the progress. Thread fallback, no Redis."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from microblog.extensions import db
from microblog.models import Post, User
from microblog.services import queues
from tests.conftest import PASSWORD, make_app
from tests.export_support import attachment
from tests.mailbox import Mailbox


@pytest.fixture
def live_app(tmp_path, mailbox: Mailbox) -> Iterator[Flask]:  # noqa: ANN001
    """The browser harness's app, sending mail to the loopback SMTP server."""
    # A slow mail server: the export stays "running" until the test releases the mail.
    mailbox.delay = 30
    app = make_app(
        tmp_path, WTF_CSRF_ENABLED=True, TESTING=False, EXPORT_BATCH_SIZE=10, **mailbox.config()
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        user = User(username="alice", email="alice@example.com")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.add_all(
            Post(body=f"post number {n}", author=user, language="en") for n in range(45)
        )
        db.session.commit()
    yield app
    mailbox.release()
    queue = queues.queue_for(app)
    assert isinstance(queue, queues.ThreadQueue)
    queue.join()
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def log_in(page: Page) -> None:
    page.goto("/auth/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Logout")).to_be_visible()


def wait_until_running(page: Page, javascript: bool) -> None:
    """The job's thread may start after the page was rendered ("queued"): with JavaScript
    the progress polls itself; without, the reader reloads (the page's Refresh link)."""
    progress = page.locator("#task-progress")
    if not javascript:
        deadline = time.monotonic() + 10
        while progress.get_attribute("data-status") == "queued":
            assert time.monotonic() < deadline, "still queued after 10 s"
            time.sleep(0.2)
            page.reload()
    expect(progress).to_have_attribute("data-status", "running", timeout=10_000)


def test_export_progress_finishes_by_itself(
    new_page,
    javascript: bool,
    screenshot,
    mailbox: Mailbox,  # noqa: ANN001
) -> None:
    page = new_page(javascript=javascript)
    progress_requests: list[str] = []
    page.on("request", lambda r: progress_requests.append(r.url) if "/progress" in r.url else None)
    log_in(page)
    page.goto("/user/alice")
    button = page.get_by_role("button", name="Export your posts")
    expect(button).to_be_visible()
    screenshot(page, "profile")
    button.click()

    expect(page).to_have_url(re.compile(r"/export_posts$"))
    expect(page.locator("#flashes")).to_contain_text("Exporting your posts")
    wait_until_running(page, javascript)
    progress = page.locator("#task-progress")
    expect(page.locator("#task-progress progress")).to_be_visible()
    screenshot(page, "running")
    mailbox.release()  # the mail goes out: the export finishes

    if javascript:
        page.evaluate("window.stillTheSamePage = true")
        expect(progress).to_have_attribute("data-status", "finished", timeout=15_000)
        assert page.evaluate("window.stillTheSamePage") is True  # no reload happened
        assert progress_requests, "the progress partial was never polled"
        expect(page.locator("#flashes")).to_contain_text(
            "Your posts were exported: check your email for the file."
        )
        polls = len(progress_requests)
        time.sleep(1.5)  # longer than a poll's delay (1 s)
        assert len(progress_requests) == polls  # the finished state stops polling
    else:
        expect(page.get_by_role("link", name="Refresh")).to_be_visible()
        deadline = time.monotonic() + 15
        while progress.get_attribute("data-status") != "finished":
            assert time.monotonic() < deadline, "still not finished after reloads"
            time.sleep(0.5)
            page.reload()
        assert not progress_requests
    expect(progress).to_contain_text("Export complete")
    expect(page.get_by_role("button", name="Export again")).to_be_visible()
    screenshot(page, "finished")

    [message] = mailbox.wait(1)
    exported = json.loads(attachment(message, "posts.json"))
    assert len(exported["posts"]) == 45


def test_export_again_while_running_is_refused(
    new_page,
    javascript: bool,
    screenshot,
    mailbox: Mailbox,  # noqa: ANN001
) -> None:
    page = new_page(javascript=javascript)
    log_in(page)
    page.goto("/user/alice")
    page.get_by_role("button", name="Export your posts").click()
    wait_until_running(page, javascript)
    page.goto("/user/alice")  # a second tab, or the back button, and click again
    page.get_by_role("button", name="Export your posts").click()
    expect(page.locator("#flashes")).to_contain_text("An export task is currently in progress")
    screenshot(page, "refused")
