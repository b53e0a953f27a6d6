"""Emails are never lost when a process stops. Without Redis (here) a thread sends each, and
a stopping process waits for them: gunicorn's worker_exit hook, atexit. With REDIS_URL
they are RQ jobs: tests/test_email_delivery_rq.py."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from microblog import email
from microblog.models import User
from tests.mailbox import Mailbox, free_port, link_in

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def app_config(mailbox: Mailbox) -> dict:
    return mailbox.config()


def test_drain_waits_for_the_emails_in_flight_and_says_so_once(
    app: Flask, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.delay = 1.0
    with app.test_request_context(), caplog.at_level(logging.INFO, logger="microblog"):
        sending = email.send_email("Hello", ["bob@example.com"], "body")
        assert sending is not None and sending.daemon  # a hung server cannot pin the process
        assert email.outbox.pending() == 1
        assert email.outbox.drain(10) == 0
        assert len(mailbox.messages) == 1  # arrived before drain returned
        assert email.outbox.drain(10) == 0  # atexit after gunicorn's hook: nothing to say
    waits = [r for r in caplog.records if "still being sent" in r.getMessage()]
    assert [r.getMessage() for r in waits] == [
        "Waiting up to 10 s for 1 email(s) still being sent"
    ]


def test_drain_gives_up_after_its_timeout_and_logs_it(
    app: Flask, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox.delay = 3.0
    with app.test_request_context(), caplog.at_level(logging.INFO, logger="microblog"):
        email.send_email("Slow", ["bob@example.com"], "body")
        assert email.outbox.drain(0.2) == 1
        assert "1 email(s) still being sent after 0 s: given up" in caplog.text
        assert email.outbox.drain(10) == 0
    assert len(mailbox.messages) == 1


def gunicorn(
    app: Flask, mailbox: Mailbox, port: int, target: str = "microblog:create_app()", **env: str
) -> subprocess.Popen:
    """The production command, as an operator runs it, on a free loopback port."""
    environ = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    environ.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mailbox.port),
        SECRET_KEY="test-secret",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        LOG_TO_STDOUT="1",
        **env,
    )
    command = [
        Path(sys.executable).parent / "gunicorn",
        "-c",
        "gunicorn.conf.py",
        target,
        "--no-control-socket",  # its default path is shared by every gunicorn of this user
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, server.communicate()[0]
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)


@pytest.fixture
def stopped_server() -> Iterator[list[subprocess.Popen]]:
    """Servers started by a test; killed if the test left one running."""
    servers: list[subprocess.Popen] = []
    yield servers
    for server in servers:
        if server.poll() is None:
            server.kill()
            server.communicate()


def test_sigterm_to_gunicorn_still_sends_the_reset_email(
    app: Flask, mailbox: Mailbox, bob: User, stopped_server: list[subprocess.Popen]
) -> None:
    port = free_port()
    server = gunicorn(app, mailbox, port)
    stopped_server.append(server)
    url = f"http://127.0.0.1:{port}/auth/reset_password_request"
    wait_until_up(url, server)
    browser = requests.Session()
    form = browser.get(url, timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token, form
    mailbox.delay = 3.0  # the email is still in flight when the worker is told to stop

    data = {"email": "bob@example.com", "csrf_token": token.group(1)}
    response = browser.post(url, data=data, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    os.kill(server.pid, signal.SIGTERM)  # the master: it stops its worker gracefully

    output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    [mail] = mailbox.wait_for(1, timeout=5)
    assert mail.rcpt_tos == ["bob@example.com"]
    assert link_in(mail.part("text/plain")).startswith(
        f"http://127.0.0.1:{port}/auth/reset_password/"
    )
    assert output.count("still being sent") == 1, output  # waited, said so once, all sent
    time.sleep(0.5)
    assert len(mailbox.messages) == 1


def test_a_graceful_reload_sends_the_email_and_keeps_serving(
    app: Flask, mailbox: Mailbox, bob: User, stopped_server: list[subprocess.Popen]
) -> None:
    """`systemctl reload` is HUP: new workers start, the old one finishes its email."""
    port = free_port()
    server = gunicorn(app, mailbox, port)
    stopped_server.append(server)
    url = f"http://127.0.0.1:{port}/auth/reset_password_request"
    wait_until_up(url, server)
    browser = requests.Session()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get(url).text)
    mailbox.delay = 3.0
    data = {"email": "bob@example.com", "csrf_token": token.group(1)}
    assert browser.post(url, data=data, allow_redirects=False, timeout=10).status_code == 303
    os.kill(server.pid, signal.SIGHUP)

    assert browser.get(url, timeout=10).status_code == 200  # served throughout
    [mail] = mailbox.wait_for(1, timeout=15)
    assert mail.rcpt_tos == ["bob@example.com"]
    assert server.poll() is None
    os.kill(server.pid, signal.SIGTERM)
    output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert output.count("Worker exiting") == 2, output  # the old worker, then the new one
    assert len(mailbox.messages) == 1


def test_a_gunicorn_worker_emails_its_errors_to_the_admins(
    app: Flask, mailbox: Mailbox, stopped_server: list[subprocess.Popen]
) -> None:
    """The app is preloaded in the master: each forked worker needs its own mail thread."""
    port = free_port()
    server = gunicorn(app, mailbox, port, "tests.failing_app:app", ADMINS="admin@example.com")
    stopped_server.append(server)
    wait_until_up(f"http://127.0.0.1:{port}/auth/login", server)
    assert requests.get(f"http://127.0.0.1:{port}/boom", timeout=10).status_code == 500
    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_tos == ["admin@example.com"] and mail.subject == "Microblog Failure"
    assert "RuntimeError: kaboom under gunicorn" in mail.message.get_content()
    os.kill(server.pid, signal.SIGTERM)
    output, _ = server.communicate(timeout=60)
    # Logged once, by our handler: Flask's own would write it again ("ERROR in app: ...").
    assert output.count("Exception on /boom [GET]") == 1, output
    assert "ERROR: Exception on /boom [GET]" in output
