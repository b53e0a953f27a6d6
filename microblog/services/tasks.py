"""Background tasks: one at a time per user and name, run on RQ or in a thread, with progress.

With `REDIS_URL` a job goes on the RQ queue `microblog-tasks` (`rq worker microblog-tasks`);
without it (the embedded default) it runs in a daemon thread of the app process, so a fresh
checkout needs no Redis. Either way it is the same entry point in `microblog/jobs.py`, which
calls `run()`, and a Task row records what the user sees: queued, running (with a
percentage), finished or failed. Progress is also published as the user's `task_progress`
notification, so `/notifications` carries it to API clients.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from blinker import Namespace
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from microblog.extensions import db
from microblog.models import Task, User
from microblog.models.base import utcnow
from microblog.services import notifications, queues

QUEUE_NAME = "microblog-tasks"
NOTIFICATION = "task_progress"
ACTIVE = ("queued", "running")
# Config keys read with these defaults (seconds): the RQ job timeout, after which a running
# task is surely dead; how long a queued task waits before the user is told no worker runs;
# how long it may wait for one at all before it is failed (and can be started again).
DEFAULTS = {"TASK_TIMEOUT": 600, "TASK_WAITING_SECONDS": 10, "TASK_QUEUE_TIMEOUT": 300}
LAUNCH_GRACE = timedelta(seconds=30)  # between committing a Task and its job reaching Redis

# Sent after each committed progress step (sender: the app; task_id, progress, status).
progressed = Namespace().signal("task-progressed")

Progress = Callable[[int], None]


class TaskError(Exception):
    """A failure whose message is meant for the user (anything else shows a generic one)."""


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


# --- starting a task -------------------------------------------------------------------


def launch(user: User, name: str, description: str, job: str) -> tuple[Task, bool]:
    """Start `job` (a dotted path to an entry point taking the task id) for `user`.

    Returns (task, True), or (the task already under way, False): one active task of a
    name per user. Two concurrent requests are serialised by locking the user's row first
    (FOR UPDATE on PostgreSQL, the write lock on SQLite), so the check and the insert
    cannot interleave.
    """
    _lock_user(user.id)
    for active in db.session.scalars(_active_query(user.id, name)).all():
        if (reason := _lost(active)) is None:
            db.session.commit()
            return active, False
        _abandon(active, reason)
    task = Task(id=str(uuid.uuid4()), name=name, description=description, user_id=user.id)
    db.session.add(task)
    _notify(task)
    db.session.commit()
    try:
        queues.queue_for(current_app).enqueue(job, task.id)
    except Exception:  # noqa: BLE001 - Redis down: the user sees a failed task, not a 500
        current_app.logger.exception("Could not enqueue task %s (%s)", task.id, name)
        fail(task, str(_l("The job queue is unavailable. Please try again later.")))
    return task, True


def _lock_user(user_id: int) -> None:
    if db.session.get_bind().dialect.name == "sqlite":
        # A write as the transaction's first statement takes SQLite's one write lock.
        db.session.execute(update(User).where(User.id == user_id).values(last_seen=User.last_seen))
    else:
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _active_query(user_id: int, name: str):  # noqa: ANN202 - a Select
    return select(Task).where(Task.user_id == user_id, Task.name == name, Task.status.in_(ACTIVE))


# --- what the user sees ----------------------------------------------------------------


def latest(user: User, name: str) -> Task | None:
    """The user's most recent task of `name`; a dead one is marked failed on the way."""
    query = (
        select(Task)
        .where(Task.user_id == user.id, Task.name == name)
        .order_by(Task.created_at.desc())
        .limit(1)
    )
    return _checked(db.session.scalars(query).first())


def get(user: User, task_id: str) -> Task | None:
    task = db.session.get(Task, task_id)
    return _checked(task) if task is not None and task.user_id == user.id else None


def waiting_for_worker(task: Task | None) -> bool:
    """Queued for longer than a worker takes to pick a job up: probably no worker runs."""
    if task is None or task.status != "queued":
        return False
    return utcnow() - task.created_at > timedelta(seconds=setting("TASK_WAITING_SECONDS"))


def _checked(task: Task | None) -> Task | None:
    if task is not None and task.status in ACTIVE and (reason := _lost(task)):
        fail(task, reason)
    return task


def _lost(task: Task) -> str | None:
    """Why an active task can no longer finish (its worker died, its job vanished), or None."""
    limit = timedelta(seconds=setting("TASK_TIMEOUT") + 60)
    if task.status == "running" and task.started_at and utcnow() - task.started_at > limit:
        return str(_l("It stopped responding and was abandoned."))
    return queues.queue_for(current_app).lost(task)


# --- running a task (called by the job entry points) -----------------------------------


def run(task_id: str, work: Callable[[Task, Progress], None]) -> None:
    """Run `work(task, progress)` once for a queued task; record the outcome.

    The queued -> running switch is one conditional UPDATE, so a job delivered twice
    (or a task already failed as lost) never runs twice. Failures are logged with their
    traceback, shown to the user, and re-raised so RQ records the job as failed too.
    """
    claimed = db.session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == "queued")
        .values(status="running", started_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        current_app.logger.warning("Task %s is not queued any more; not running it", task_id)
        return
    task = db.session.get(Task, task_id)
    assert task is not None
    db.session.refresh(task)
    _publish(task)
    try:
        work(task, lambda percent: set_progress(task, percent))
    except Exception as error:
        db.session.rollback()
        current_app.logger.exception(
            "Task %s (%s) for user %s failed", task_id, task.name, task.user_id
        )
        message = (
            str(error)
            if isinstance(error, TaskError)
            else str(_l("An unexpected error stopped it."))
        )
        fail(task, message)
        raise
    # Conditional: a task meanwhile given up as lost stays failed (a newer one may run).
    _publish_if(
        task, _transition(task, ("running",), status="finished", progress=100, complete=True)
    )


def set_progress(task: Task, percent: int) -> None:
    """Record progress; 100 is kept for "finished", so a running task shows at most 99."""
    percent = max(0, min(99, int(percent)))
    if percent != task.progress:
        task.progress = percent
        _publish(task)


def fail(task: Task, message: str) -> None:
    _publish_if(task, _abandon(task, message))


def _publish_if(task: Task, changed: bool) -> None:
    if changed:
        _publish(task)
    else:
        db.session.commit()  # ends the transaction the conditional UPDATE opened


def _abandon(task: Task, message: str) -> bool:
    """Mark an active task failed (not committed); False if it has meanwhile ended."""
    return _transition(task, ACTIVE, status="failed", error=message, complete=True)


def _transition(task: Task, sources: tuple[str, ...], **values: object) -> bool:
    """Change a task only if its status (in the database, now) is one of `sources`."""
    changed = db.session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status.in_(sources))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(task)
    return bool(changed)


def _publish(task: Task) -> None:
    _notify(task)
    db.session.commit()
    progressed.send(
        current_app._get_current_object(),
        task_id=task.id,  # type: ignore[attr-defined]
        progress=task.progress,
        status=task.status,
    )


def _notify(task: Task) -> None:
    """Add or replace the user's `task_progress` notification (the caller commits)."""
    notifications.upsert(
        task.user_id,
        NOTIFICATION,
        {"task_id": task.id, "progress": task.progress, "status": task.status},
    )
