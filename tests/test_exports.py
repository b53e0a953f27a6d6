"""Exporting posts on the embedded default (no Redis): the job runs in a thread of the app."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from microblog import jobs
from microblog.extensions import db
from microblog.models import Notification, Task, User
from microblog.models.base import utcnow
from microblog.services import queues
from tests.conftest import PASSWORD
from tests.export_support import attachment, task_status
from tests.mailbox import Mailbox, free_port


@pytest.fixture
def app_config(mailbox: Mailbox) -> dict:
    return {**mailbox.config(), "EXPORT_BATCH_SIZE": 3}


def wait_until_done(hx: Callable, task_id: str, timeout: float = 20) -> str:
    """Poll the progress fragment as the browser does, until the task has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = hx("GET", f"/tasks/{task_id}/progress")
        assert response.status_code == 200
        if task_status(response.text) in ("finished", "failed"):
            return response.text
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} still running after {timeout}s")


def only_task(user: User) -> Task:
    return db.session.scalars(select(Task).where(Task.user_id == user.id)).one()


def join_jobs(app: Flask) -> None:
    queue = queues.queue_for(app)
    assert isinstance(queue, queues.ThreadQueue)
    queue.join()


def test_export_emails_every_post_and_reports_progress(
    app: Flask,
    client: FlaskClient,
    hx: Callable,
    alice: User,
    make_post: Callable,
    mailbox: Mailbox,
    progress_log: list[dict],
) -> None:
    same_time = datetime(2024, 5, 1, 12, 0, 0)
    bodies = [
        "first <b>post</b>",
        "¡hola, señor!",
        "same second 1",
        "same second 2",
        "same second 3",
        "same second 4",
        "last one",
    ]
    stamps = [same_time - timedelta(days=1)] + [same_time] * 5 + [same_time + timedelta(1)]
    for body, stamp in zip(bodies, stamps, strict=True):
        make_post(alice, body, timestamp=stamp)

    response = client.post("/export_posts")
    assert response.status_code == 303
    assert response.headers["Location"] == "/export_posts"
    task = only_task(alice)
    assert task.name == "export_posts"

    final = wait_until_done(hx, task.id)
    join_jobs(app)
    assert task_status(final) == "finished"
    assert "Your posts were exported: check your email for the file." in final  # flashed
    assert "hx-trigger" not in final  # polling ends

    db.session.expire_all()
    task = only_task(alice)
    assert (task.status, task.progress, task.complete, task.error) == ("finished", 100, True, None)
    # 7 posts in batches of 3: one step per batch; 100 is kept for "finished".
    assert [(step["progress"], step["status"]) for step in progress_log] == [
        (0, "running"),
        (42, "running"),
        (85, "running"),
        (99, "running"),
        (100, "finished"),
    ]
    assert {step["task_id"] for step in progress_log} == {task.id}
    notification = db.session.scalars(
        select(Notification).where(
            Notification.user_id == alice.id, Notification.name == "task_progress"
        )
    ).one()
    assert notification.get_data() == {"task_id": task.id, "progress": 100, "status": "finished"}

    [message] = mailbox.wait(1)
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "[Microblog] Your blog posts"
    assert "Dear alice" in message.get_body(("plain",)).get_content()
    exported = json.loads(attachment(message, "posts.json"))
    assert [(p["body"], p["timestamp"]) for p in exported["posts"]] == [
        (body, stamp.isoformat() + "Z") for body, stamp in zip(bodies, stamps, strict=True)
    ]


def test_export_page_shows_the_finished_task_and_offers_another(
    app: Flask,
    client: FlaskClient,
    hx: Callable,
    alice: User,
    mailbox: Mailbox,
) -> None:
    page = client.get("/export_posts")
    assert task_status(page.text) == "none"
    assert 'action="/export_posts"' in page.text and 'method="post"' in page.text
    client.post("/export_posts")
    wait_until_done(hx, only_task(alice).id)
    join_jobs(app)
    page = client.get("/export_posts")
    assert task_status(page.text) == "finished"
    assert "Export complete" in page.text and "Export again" in page.text
    assert "hx-trigger" not in page.text.split('id="task-progress"')[1].split("</div>")[0]
    exported = json.loads(attachment(mailbox.wait(1)[0], "posts.json"))
    assert exported == {"posts": []}


def test_profile_has_the_export_button_only_for_its_owner(
    client: FlaskClient,
    alice: User,
    make_user: Callable,
) -> None:
    make_user("bob")
    own = client.get("/user/alice").text
    assert 'action="/export_posts"' in own and "Export your posts" in own
    assert 'action="/export_posts"' not in client.get("/user/bob").text


def test_running_state_polls_itself_and_the_fragment_is_the_pages(
    client: FlaskClient,
    hx: Callable,
    alice: User,
) -> None:
    task = Task(
        id="t-running",
        name="export_posts",
        user_id=alice.id,
        status="running",
        progress=40,
        started_at=utcnow(),
    )
    db.session.add(task)
    db.session.commit()

    fragment = hx("GET", "/tasks/t-running/progress")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'hx-get="/tasks/t-running/progress"' in fragment.text
    assert 'hx-trigger="load delay:1s"' in fragment.text
    assert 'hx-swap="outerHTML"' in fragment.text
    assert 'value="40"' in fragment.text and "Exporting your posts: 40%" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert fragment.headers["Cache-Control"] == "private, no-store"
    assert "Refresh" in fragment.text  # inside <noscript>, for browsers without JavaScript
    assert fragment.text.strip() in client.get("/tasks/t-running/progress").text
    assert fragment.text.strip() in client.get("/export_posts").text


def test_clicking_again_while_one_runs_starts_nothing(
    client: FlaskClient,
    alice: User,
) -> None:
    db.session.add(
        Task(
            id="t-busy",
            name="export_posts",
            user_id=alice.id,
            status="running",
            started_at=utcnow(),
        )
    )
    db.session.commit()
    page = client.post("/export_posts", follow_redirects=True)
    assert "An export task is currently in progress" in page.text
    assert task_status(page.text) == "running"
    assert db.session.scalar(select(func.count()).select_from(Task)) == 1


def test_htmx_post_answers_the_progress_fragment(
    app: Flask,
    hx: Callable,
    alice: User,
    mailbox: Mailbox,
) -> None:
    response = hx("POST", "/export_posts")
    assert response.status_code == 200
    assert 'id="task-progress"' in response.text and "<html" not in response.text
    assert "hx-swap-oob" in response.text  # the flash rides along out of band
    wait_until_done(hx, only_task(alice).id)
    join_jobs(app)


def test_concurrent_clicks_start_one_export(
    app: Flask,
    alice: User,
    mailbox: Mailbox,
) -> None:
    """A double click, or two tabs: the requests race, one export starts."""
    mailbox.delay = 30  # a slow mail server keeps the export running while the clicks land
    clients = [app.test_client() for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def click(one: FlaskClient) -> None:
        # In a thread of its own: its own app context, as under a threaded server.
        one.post("/auth/login", data={"username": "alice", "password": PASSWORD})
        barrier.wait()
        statuses.append(one.post("/export_posts").status_code)

    threads = [threading.Thread(target=click, args=(one,)) for one in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    mailbox.release()
    join_jobs(app)
    assert statuses == [303] * len(clients)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Task)) == 1
    assert len(mailbox.wait(1, timeout=5)) == 1


def test_failure_is_shown_logged_and_can_be_retried(
    app: Flask,
    client: FlaskClient,
    hx: Callable,
    alice: User,
    make_post: Callable,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for number in range(5):
        make_post(alice, f"post number {number}")
    app.config["EXPORT_MAX_BYTES"] = 100  # a file too large to email

    client.post("/export_posts")
    failed_task = only_task(alice)
    final = wait_until_done(hx, failed_task.id)
    join_jobs(app)
    assert task_status(final) == "failed"
    assert "The export of your posts failed." in final  # flashed by the last poll
    assert "too large to send by email" in final and "Try again" in final
    records = [r for r in caplog.records if failed_task.id in r.getMessage()]
    assert records and records[0].exc_info is not None  # logged with its traceback
    assert "ExportTooLarge" in caplog.text and "Traceback" in caplog.text
    assert mailbox.messages == []

    del app.config["EXPORT_MAX_BYTES"]
    response = client.post("/export_posts", follow_redirects=True)
    assert "An export task is currently in progress" not in response.text
    [old, new] = db.session.scalars(select(Task).order_by(Task.created_at)).all()
    assert old.id == failed_task.id and new.id != old.id
    assert task_status(wait_until_done(hx, new.id)) == "finished"
    join_jobs(app)
    assert len(json.loads(attachment(mailbox.wait(1)[0], "posts.json"))["posts"]) == 5


def test_a_task_whose_worker_died_is_failed_and_a_new_export_allowed(
    app: Flask,
    client: FlaskClient,
    hx: Callable,
    alice: User,
    mailbox: Mailbox,
) -> None:
    """Running since long before the job timeout: its process died with it."""
    db.session.add(
        Task(
            id="t-dead",
            name="export_posts",
            user_id=alice.id,
            status="running",
            progress=30,
            started_at=utcnow() - timedelta(hours=2),
        )
    )
    db.session.commit()
    page = client.get("/export_posts")
    assert task_status(page.text) == "failed"
    assert "stopped responding" in page.text and "Try again" in page.text
    client.post("/export_posts")
    assert db.session.scalar(select(func.count()).select_from(Task)) == 2
    new = db.session.scalars(select(Task).where(Task.id != "t-dead")).one()
    wait_until_done(hx, new.id)
    join_jobs(app)


def test_a_job_never_runs_twice(
    app: Flask,
    client: FlaskClient,
    hx: Callable,
    alice: User,
    mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client.post("/export_posts")
    task = only_task(alice)
    wait_until_done(hx, task.id)
    join_jobs(app)
    assert len(mailbox.wait(1)) == 1
    jobs.export_posts(task.id)  # delivered again, e.g. by a queue after a network split
    assert "not queued any more" in caplog.text
    time.sleep(0.3)
    assert len(mailbox.messages) == 1


def test_someone_elses_task_is_not_found(
    client: FlaskClient,
    alice: User,
    make_user: Callable,
) -> None:
    bob = make_user("bob")
    db.session.add(Task(id="t-bob", name="export_posts", user_id=bob.id))
    db.session.commit()
    assert client.get("/tasks/t-bob/progress").status_code == 404
    assert client.get("/tasks/nope/progress").status_code == 404


def test_exporting_needs_a_login(client: FlaskClient, hx: Callable) -> None:
    response = client.post("/export_posts")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = hx("GET", "/tasks/x/progress")
    assert response.status_code == 204 and "/auth/login" in response.headers["HX-Redirect"]


def test_a_queue_that_is_down_shows_a_failed_export_not_an_error(
    app: Flask,
    client: FlaskClient,
    alice: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    page = client.post("/export_posts", follow_redirects=True)
    assert page.status_code == 200
    assert task_status(page.text) == "failed"
    assert "The job queue is unavailable" in page.text and "Try again" in page.text
    assert "Could not enqueue task" in caplog.text


def test_a_task_queued_by_a_process_that_died_is_failed_after_the_queue_timeout(
    app: Flask,
    client: FlaskClient,
    hx: Callable,
    alice: User,
    mailbox: Mailbox,
) -> None:
    """No thread of this process will start it: after TASK_QUEUE_TIMEOUT it can be retried."""
    waiting = Task(id="t-orphan", name="export_posts", user_id=alice.id, status="queued")
    waiting.created_at = utcnow() - timedelta(seconds=299)
    db.session.add(waiting)
    db.session.commit()
    assert task_status(hx("GET", "/tasks/t-orphan/progress").text) == "queued"

    waiting.created_at -= timedelta(seconds=2)
    db.session.commit()
    fragment = hx("GET", "/tasks/t-orphan/progress").text
    assert task_status(fragment) == "failed" and "hx-trigger" not in fragment
    assert "It never started." in fragment and "Try again" in fragment
    client.post("/export_posts")
    new = db.session.scalars(select(Task).where(Task.id != "t-orphan")).one()
    assert task_status(wait_until_done(hx, new.id)) == "finished"
    join_jobs(app)
