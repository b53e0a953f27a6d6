"""With REDIS_URL, emails are jobs on the `microblog-tasks` RQ queue, delivered by a worker:
a web worker that stops has nothing of them to lose."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from microblog import email
from microblog.models import User
from microblog.services import tasks
from tests.mailbox import Mailbox, free_port, link_in
from tests.test_exports_rq import REDIS_URL, redis, work  # noqa: F401 - redis: a fixture


@pytest.fixture
def app_config(redis: Redis, mailbox: Mailbox) -> dict:  # noqa: F811
    return {**mailbox.config(), "REDIS_URL": REDIS_URL}


def request_reset(client: FlaskClient, address: str) -> None:
    response = client.post("/auth/reset_password_request", data={"email": address})
    assert response.status_code == 303


def test_the_reset_email_is_a_job_that_a_worker_delivers(
    client: FlaskClient,
    make_user: Callable[..., User],
    redis: Redis,  # noqa: F811
    mailbox: Mailbox,
) -> None:
    make_user("bob")
    request_reset(client, "bob@example.com")
    queue = Queue(tasks.QUEUE_NAME, connection=redis)
    [job] = queue.jobs
    assert job.func_name == "microblog.jobs.request_password_reset"
    assert email.outbox.pending() == 0  # nothing of it lives in the web process
    assert mailbox.messages == []

    work(redis)

    assert job.get_status(refresh=True) == JobStatus.FINISHED
    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_tos == ["bob@example.com"]
    link = link_in(mail.part("text/plain"))
    assert link.startswith("http://localhost/auth/reset_password/")
    form = client.get(urlsplit(link).path)
    assert form.status_code == 200 and 'name="password2"' in form.text


def test_an_unknown_address_is_queued_the_same_and_sends_nothing(
    client: FlaskClient,
    make_user: Callable[..., User],
    redis: Redis,  # noqa: F811
    mailbox: Mailbox,
) -> None:
    make_user("bob")
    request_reset(client, "nobody@example.com")
    assert Queue(tasks.QUEUE_NAME, connection=redis).count == 1
    work(redis)
    assert mailbox.messages == []


DEAD_MAIL_SERVER = {
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": free_port(),
    "MAIL_SUPPRESS_SEND": False,
}


@pytest.mark.parametrize("app_config", [{**DEAD_MAIL_SERVER, "REDIS_URL": REDIS_URL}])
def test_an_email_whose_smtp_server_fails_is_retried_then_kept_as_failed(
    app: Flask,
    redis: Redis,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    with app.test_request_context():
        job = email.send_email("Hello", ["bob@example.com"], "body")
    assert isinstance(job, Job) and job.retries_left == 3
    work(redis)  # the first run and its three retries, all refused
    assert job.get_status(refresh=True) == JobStatus.FAILED
    sends = [r for r in caplog.records if "Could not send email" in r.getMessage()]
    assert len(sends) == 4 and all(r.exc_info for r in sends)


def test_redis_down_sends_from_the_web_process_instead(
    app: Flask, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    app.extensions.pop("microblog-tasks", None)  # the queue is made again, on that address
    with app.test_request_context():
        sending = email.send_email("Hello", ["bob@example.com"], "body")
    assert not isinstance(sending, Job)
    email.outbox.drain(10)
    assert len(mailbox.wait_for(1)) == 1
    assert "Could not queue microblog.jobs.deliver_email" in caplog.text
