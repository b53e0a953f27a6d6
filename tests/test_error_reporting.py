"""In production, unhandled errors are emailed to the admins and written to a rotating log."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from microblog import logs
from tests.conftest import make_app
from tests.mailbox import Mailbox, free_port

ADMINS = ["admin@example.com", "ops@example.com"]
PRODUCTION = {"TESTING": False, "DEBUG": False, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture(autouse=True)
def detach_log_handlers() -> Iterator[None]:
    """Production apps built here must not keep logging into this test's files afterwards."""
    yield
    logs.remove_handlers(logging.getLogger("microblog"))


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs"


@pytest.fixture
def app_config(mailbox: Mailbox, log_dir: Path) -> dict:
    return {**PRODUCTION, **mailbox.config(), "ADMINS": ADMINS, "LOG_DIR": str(log_dir)}


def add_failing_route(app: Flask) -> None:
    def boom() -> str:
        raise RuntimeError("kaboom 42")

    app.add_url_rule("/boom", "boom", boom)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    add_failing_route(app)
    return app.test_client()


def log_text(log_dir: Path) -> str:
    return (log_dir / "microblog.log").read_text(encoding="utf-8")


def test_an_unhandled_error_is_emailed_to_the_admins_and_logged(
    client: FlaskClient, mailbox: Mailbox, log_dir: Path
) -> None:
    response = client.get("/boom")
    assert response.status_code == 500
    assert "An unexpected error has occurred" in response.text
    assert "kaboom" not in response.text  # no traceback for the user

    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_tos == ADMINS
    assert mail.subject == "Microblog Failure"
    body = mail.message.get_content()
    assert "Exception on /boom [GET]" in body
    assert "Traceback (most recent call last)" in body
    assert "RuntimeError: kaboom 42" in body

    log = log_text(log_dir)
    assert "Microblog startup" in log
    assert "ERROR: Exception on /boom [GET]" in log
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: kaboom 42" in log


def test_an_htmx_request_gets_a_fragment_and_the_admins_still_hear(
    client: FlaskClient, mailbox: Mailbox
) -> None:
    response = client.get("/boom", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert "<html" not in response.text
    assert response.headers["HX-Retarget"] == "#flashes"
    [mail] = mailbox.wait_for(1)
    assert "RuntimeError: kaboom 42" in mail.message.get_content()


def test_a_refused_request_is_not_reported(
    client: FlaskClient, mailbox: Mailbox, log_dir: Path
) -> None:
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/boom").status_code == 500
    mails = mailbox.wait_for(1)
    assert len(mails) == 1 and "/boom" in mails[0].message.get_content()
    assert "/no/such/page" not in log_text(log_dir)


def test_a_hanging_mail_server_does_not_hold_up_the_error_page(
    tmp_path: Path, log_dir: Path
) -> None:
    """The server accepts the connection and never greets: only the log thread waits."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        app = make_app(
            tmp_path,
            **PRODUCTION,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=silent.getsockname()[1],
            ADMINS=ADMINS,
            LOG_DIR=str(log_dir),
        )
        add_failing_route(app)
        started = time.monotonic()
        response = app.test_client().get("/boom")
        elapsed = time.monotonic() - started
    assert response.status_code == 500
    assert elapsed < 2, f"the error page took {elapsed:.1f}s"
    assert "RuntimeError: kaboom 42" in log_text(log_dir)


def test_a_dead_mail_server_still_leaves_the_log(
    tmp_path: Path, log_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    app = make_app(
        tmp_path,
        **PRODUCTION,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),
        ADMINS=ADMINS,
        LOG_DIR=str(log_dir),
    )
    add_failing_route(app)
    assert app.test_client().get("/boom").status_code == 500
    assert "RuntimeError: kaboom 42" in log_text(log_dir)
    logs.remove_handlers(logging.getLogger("microblog"))  # the mail thread finishes its try
    assert "ConnectionRefusedError" in capfd.readouterr().err  # the failed email, reported


def test_log_to_stdout_writes_no_file(
    tmp_path: Path, log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(tmp_path, **PRODUCTION, LOG_TO_STDOUT=True, LOG_DIR=str(log_dir))
    add_failing_route(app)
    assert app.test_client().get("/boom").status_code == 500
    out = capsys.readouterr().out
    assert "Microblog startup" in out
    assert "ERROR: Exception on /boom [GET]" in out and "RuntimeError: kaboom 42" in out
    assert not log_dir.exists()


@pytest.mark.parametrize("mode", [{"TESTING": True}, {"TESTING": False, "DEBUG": True}])
def test_no_log_file_or_mail_in_testing_or_debug(
    tmp_path: Path, log_dir: Path, mailbox: Mailbox, mode: dict
) -> None:
    app = make_app(
        tmp_path,
        **{**PRODUCTION, **mode},
        **mailbox.config(),
        ADMINS=ADMINS,
        LOG_DIR=str(log_dir),
    )
    app.logger.error("an error while developing")
    assert not log_dir.exists()
    with pytest.raises(AssertionError, match="0 of 1 messages arrived"):
        mailbox.wait_for(1, timeout=1)


def test_building_the_app_again_replaces_its_handlers(tmp_path: Path, mailbox: Mailbox) -> None:
    for run in ("first", "second"):
        make_app(
            tmp_path,
            **PRODUCTION,
            **mailbox.config(),
            ADMINS=ADMINS,
            LOG_DIR=str(tmp_path / run),
        )
    logger = logging.getLogger("microblog")
    ours = [h for h in logger.handlers if getattr(h, "microblog", False)]
    assert len(ours) == 2  # one mail handler, one file handler: the second app's
    logger.error("after the rebuild")
    assert "after the rebuild" in (tmp_path / "second" / "microblog.log").read_text()
    assert "after the rebuild" not in (tmp_path / "first" / "microblog.log").read_text()
    mailbox.wait_for(1)
    with pytest.raises(AssertionError, match="1 of 2 messages arrived"):
        mailbox.wait_for(2, timeout=1)


def add_second_failing_route(app: Flask) -> None:
    def other() -> str:
        raise KeyError("another failure")

    app.add_url_rule("/other", "other", other)


def test_the_same_error_is_emailed_once_a_different_one_again(
    app: Flask, client: FlaskClient, mailbox: Mailbox, log_dir: Path
) -> None:
    add_second_failing_route(app)
    for url in ("/boom", "/boom", "/boom?again=1", "/other", "/boom"):
        assert client.get(url).status_code == 500
    # Mails leave in order: a repeat of /boom would arrive before /other's.
    first, second = mailbox.wait_for(2)
    assert "RuntimeError: kaboom 42" in first.message.get_content()
    assert "KeyError: 'another failure'" in second.message.get_content()
    with pytest.raises(AssertionError, match="2 of 3 messages arrived"):
        mailbox.wait_for(3, timeout=1)
    assert log_text(log_dir).count("RuntimeError: kaboom 42") == 4  # the log keeps them all


def test_with_no_interval_every_error_is_emailed(
    tmp_path: Path, app_config: dict, mailbox: Mailbox
) -> None:
    app = make_app(tmp_path, **{**app_config, "ERROR_MAIL_INTERVAL_SECONDS": 0})
    add_failing_route(app)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/boom").status_code == 500
    assert len(mailbox.wait_for(3)) == 3


def raise_here(error: Exception) -> None:
    raise error


def record_of(error: Exception | None, message: str = "failed") -> logging.LogRecord:
    exc_info = None
    if error is not None:
        try:
            raise_here(error)
        except Exception as raised:  # noqa: BLE001
            exc_info = (type(raised), raised, raised.__traceback__)
    return logging.LogRecord("microblog", logging.ERROR, __file__, 1, message, None, exc_info)


def test_error_mail_limit_is_per_error_and_interval() -> None:
    now = [1000.0]
    limit = logs.ErrorMailLimit(600, clock=lambda: now[0])
    assert limit.filter(record_of(RuntimeError("a")))
    assert not limit.filter(record_of(RuntimeError("other words, same place")))
    assert limit.filter(record_of(ValueError("a")))  # another type, raised at the same line
    assert limit.filter(record_of(None, "no exception"))
    assert not limit.filter(record_of(None, "no exception"))
    assert limit.filter(record_of(None, "another message"))
    now[0] += 599
    assert not limit.filter(record_of(RuntimeError("a")))
    now[0] += 1
    assert limit.filter(record_of(RuntimeError("a")))  # the interval is over: mailed again


def test_error_mail_limit_forgets_expired_errors_when_full() -> None:
    now = [0.0]
    limit = logs.ErrorMailLimit(10, clock=lambda: now[0])
    for line in range(limit.MAX_KEYS):
        record = record_of(None)
        record.lineno = line
        assert limit.filter(record)
    now[0] = 20.0
    assert limit.filter(record_of(None, "one more"))
    assert len(limit._sent) == 1
