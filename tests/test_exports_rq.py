"""Exporting posts with REDIS_URL: jobs go on the `microblog-tasks` RQ queue, run by workers.

Runs whenever Redis answers: at REDIS_URL when it is set (CI: DB 15; unreachable is a
failure), else at 127.0.0.1:6379 DB 5 (absent: skipped, a fresh checkout needs no Redis).
Only that one Redis database is flushed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Task, User
from microblog.services import tasks
from tests.conftest import worker_number
from tests.export_support import attachment, task_status
from tests.mailbox import Mailbox

# Without REDIS_URL, a database of its own for each pytest-xdist worker (conftest).
REDIS_URL = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:6379/{5 + worker_number()}"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis() -> Iterator[Redis]:
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as error:
        if os.environ.get("REDIS_URL"):
            pytest.fail(f"REDIS_URL is set but Redis does not answer: {error}")
        pytest.skip("no Redis at 127.0.0.1:6379 and REDIS_URL not set")
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def app_config(redis: Redis, mailbox: Mailbox) -> dict:
    return {**mailbox.config(), "REDIS_URL": REDIS_URL, "EXPORT_BATCH_SIZE": 2}


def work(redis: Redis) -> None:
    """A real RQ worker, in this process, until the queue is empty."""
    queue = Queue(tasks.QUEUE_NAME, connection=redis)
    SimpleWorker([queue], connection=redis).work(burst=True)


def latest_task(user: User) -> Task:
    db.session.expire_all()
    query = select(Task).where(Task.user_id == user.id).order_by(Task.created_at.desc())
    return db.session.scalars(query).first()


def backdate(task: Task, seconds: int) -> None:
    task.created_at -= timedelta(seconds=seconds)
    db.session.commit()


def test_export_runs_on_an_rq_worker(
    app: Flask,
    client: FlaskClient,
    hx: Callable,
    alice: User,
    make_post: Callable,
    redis: Redis,
    mailbox: Mailbox,
    progress_log: list[dict],
) -> None:
    for number in range(5):
        make_post(alice, f"post {number}")
    assert client.post("/export_posts").status_code == 303
    task = latest_task(alice)
    queue = Queue(tasks.QUEUE_NAME, connection=redis)
    assert queue.job_ids == [task.id]  # on the queue, and nothing ran it in the app
    page = client.get("/export_posts").text
    assert task_status(page) == "queued" and "will start shortly" in page

    work(redis)

    task = latest_task(alice)
    assert (task.status, task.progress, task.complete) == ("finished", 100, True)
    assert Job.fetch(task.id, connection=redis).get_status() == JobStatus.FINISHED
    assert [(step["progress"], step["status"]) for step in progress_log] == [
        (0, "running"),
        (40, "running"),
        (80, "running"),
        (99, "running"),
        (100, "finished"),
    ]
    final = hx("GET", f"/tasks/{task.id}/progress").text
    assert task_status(final) == "finished" and "hx-trigger" not in final
    assert "Your posts were exported" in final
    [message] = mailbox.wait(1)
    assert message["To"] == "alice@example.com"
    exported = json.loads(attachment(message, "posts.json"))
    assert [post["body"] for post in exported["posts"]] == [f"post {n}" for n in range(5)]


def test_second_click_while_queued_starts_nothing(
    client: FlaskClient,
    alice: User,
    redis: Redis,
) -> None:
    client.post("/export_posts")
    page = client.post("/export_posts", follow_redirects=True).text
    assert "An export task is currently in progress" in page
    assert db.session.scalar(select(func.count()).select_from(Task)) == 1
    assert Queue(tasks.QUEUE_NAME, connection=redis).count == 1


def test_without_a_worker_the_user_sees_it_waiting(
    client: FlaskClient,
    hx: Callable,
    alice: User,
    redis: Redis,
    mailbox: Mailbox,
) -> None:
    client.post("/export_posts")
    task = latest_task(alice)
    backdate(task, 11)  # nobody has picked it up for 11 seconds
    fragment = hx("GET", f"/tasks/{task.id}/progress").text
    assert task_status(fragment) == "queued"
    assert "Waiting for a worker" in fragment
    assert 'hx-trigger="load delay:5s"' in fragment  # still watching, more slowly
    assert "Waiting for a worker" in client.get("/export_posts").text

    work(redis)  # a worker comes up
    assert task_status(hx("GET", f"/tasks/{task.id}/progress").text) == "finished"
    assert len(mailbox.wait(1)) == 1


def test_a_failed_job_is_shown_failed_and_can_be_retried(
    app: Flask,
    client: FlaskClient,
    hx: Callable,
    alice: User,
    make_post: Callable,
    redis: Redis,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for number in range(3):
        make_post(alice, f"post {number}")
    app.config["EXPORT_MAX_BYTES"] = 50
    client.post("/export_posts")
    failed = latest_task(alice)
    work(redis)

    assert Job.fetch(failed.id, connection=redis).get_status() == JobStatus.FAILED
    fragment = hx("GET", f"/tasks/{failed.id}/progress").text
    assert task_status(fragment) == "failed"
    assert "too large to send by email" in fragment and "Try again" in fragment
    assert "The export of your posts failed." in fragment
    assert any(r.exc_info and failed.id in r.getMessage() for r in caplog.records)
    assert mailbox.messages == []

    del app.config["EXPORT_MAX_BYTES"]
    page = client.post("/export_posts", follow_redirects=True).text
    assert "An export task is currently in progress" not in page
    retry = latest_task(alice)
    assert retry.id != failed.id and retry.status == "queued"
    work(redis)
    assert latest_task(alice).status == "finished"
    assert len(json.loads(attachment(mailbox.wait(1)[0], "posts.json"))["posts"]) == 3


def test_a_job_lost_by_the_queue_is_failed_and_a_new_export_allowed(
    client: FlaskClient,
    alice: User,
    redis: Redis,
) -> None:
    client.post("/export_posts")
    task = latest_task(alice)
    backdate(task, 60)
    Job.fetch(task.id, connection=redis).delete()  # e.g. Redis restarted without persistence
    page = client.get("/export_posts").text
    assert task_status(page) == "failed" and "The job queue lost it." in page
    client.post("/export_posts")
    assert latest_task(alice).id != task.id
    assert Queue(tasks.QUEUE_NAME, connection=redis).count == 1


def rq_worker(app: Flask, mailbox: Mailbox) -> subprocess.Popen:
    """`rq worker microblog-tasks` as an operator starts it, configured by the environment."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": REDIS_URL,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mailbox.port),
        "SECRET_KEY": "test-secret",
    }
    command = [
        Path(sys.executable).parent / "rq",
        "worker",
        "--burst",
        "--url",
        REDIS_URL,
        tasks.QUEUE_NAME,
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_rq_worker_command_runs_the_export(
    app: Flask,
    client: FlaskClient,
    alice: User,
    make_post: Callable,
    redis: Redis,
    mailbox: Mailbox,
) -> None:
    make_post(alice, "from a real worker")
    client.post("/export_posts")
    worker = rq_worker(app, mailbox)
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert latest_task(alice).status == "finished", output
    exported = json.loads(attachment(mailbox.wait(1)[0], "posts.json"))
    assert exported["posts"][0]["body"] == "from a real worker"


def test_a_worker_killed_mid_job_leaves_a_failed_task_and_allows_a_retry(
    app: Flask,
    client: FlaskClient,
    alice: User,
    make_post: Callable,
    redis: Redis,
    mailbox: Mailbox,
) -> None:
    make_post(alice, "never delivered")
    mailbox.delay = 30  # the job hangs in the mail server: the moment we kill its process
    client.post("/export_posts")
    task = latest_task(alice)
    worker = rq_worker(app, mailbox)
    try:
        wait_for(lambda: latest_task(alice).progress == 99)
        horse = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        assert len(horse) == 1, horse  # RQ runs each job in a forked work horse
        os.kill(int(horse[0]), signal.SIGKILL)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert Job.fetch(task.id, connection=redis).get_status() == JobStatus.FAILED, output

    page = client.get("/export_posts").text
    assert task_status(page) == "failed", page
    assert "The worker running it stopped." in page and "Try again" in page
    client.post("/export_posts")
    retry = latest_task(alice)
    assert retry.id != task.id and retry.status == "queued"


def test_a_job_no_worker_picks_up_is_failed_and_can_be_started_again(
    client: FlaskClient,
    hx: Callable,
    alice: User,
    redis: Redis,
    mailbox: Mailbox,
) -> None:
    """After TASK_QUEUE_TIMEOUT (300 s by default) the user stops waiting for a worker."""
    client.post("/export_posts")
    task = latest_task(alice)
    queue = Queue(tasks.QUEUE_NAME, connection=redis)
    backdate(task, 299)
    assert task_status(hx("GET", f"/tasks/{task.id}/progress").text) == "queued"

    backdate(task, 2)
    fragment = hx("GET", f"/tasks/{task.id}/progress").text
    assert task_status(fragment) == "failed" and "hx-trigger" not in fragment
    assert "No worker picked it up in time." in fragment and "Try again" in fragment
    assert "The export of your posts failed." in fragment
    assert Job.fetch(task.id, connection=redis).get_status() == JobStatus.CANCELED
    assert queue.count == 0  # a worker that comes up later will not run it

    page = client.post("/export_posts", follow_redirects=True).text
    assert "An export task is currently in progress" not in page
    retry = latest_task(alice)
    assert retry.id != task.id and queue.job_ids == [retry.id]
    work(redis)
    assert latest_task(alice).status == "finished"
    assert db.session.get(Task, task.id).status == "failed"
    assert len(mailbox.wait(1)) == 1


def test_the_queue_timeout_is_a_setting(
    app: Flask, client: FlaskClient, alice: User, redis: Redis
) -> None:
    app.config["TASK_QUEUE_TIMEOUT"] = 30
    client.post("/export_posts")
    backdate(latest_task(alice), 31)
    page = client.get("/export_posts").text
    assert task_status(page) == "failed" and "No worker picked it up in time." in page


def test_with_redis_down_a_queued_export_still_times_out(
    app: Flask, client: FlaskClient, alice: User, redis: Redis
) -> None:
    client.post("/export_posts")
    task = latest_task(alice)
    backdate(task, 301)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("microblog-tasks", None)
    page = client.get("/export_posts").text
    assert task_status(page) == "failed" and "No worker picked it up in time." in page
