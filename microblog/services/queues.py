"""Where task jobs run: RQ on Redis when `REDIS_URL` is set, else threads of this process.

Both answer `enqueue(job, task_id)` and `lost(task)` (why an active task can no longer
finish, or None), so `services/tasks.py` does not care which one runs its jobs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from werkzeug.utils import import_string

from microblog.models import Task
from microblog.models.base import utcnow
from microblog.services import tasks

if TYPE_CHECKING:
    from rq.job import Job


class ThreadQueue:
    """The embedded default: each job runs in a daemon thread of this process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.threads: dict[str, threading.Thread] = {}

    def enqueue(self, job: str, task_id: str) -> None:
        thread = threading.Thread(
            target=self._run,
            args=(import_string(job), task_id),
            name=f"task-{task_id}",
            daemon=True,
        )
        thread.start()  # then registered: a registered thread that is not alive has ended
        self.threads[task_id] = thread

    def _run(self, entry_point: Callable[[str], None], task_id: str) -> None:
        with self.app.app_context():
            try:
                entry_point(task_id)
            except Exception:  # noqa: BLE001, S110 - already logged and recorded by run()
                pass

    def lost(self, task: Task) -> str | None:
        thread = self.threads.get(task.id)
        if thread is not None and not thread.is_alive():
            return str(_l("It stopped unexpectedly."))
        # Started by another process, which died before its thread began (or meanwhile
        # runs it: its running status would show): no thread of ours will ever start it.
        timeout = tasks.setting("TASK_QUEUE_TIMEOUT")
        if task.status == "queued" and _older_than(task.created_at, timeout):
            return str(_l("It never started."))
        return None

    def join(self, timeout: float = 30) -> None:
        """Wait for every job started here (tests, and a clean shutdown)."""
        deadline = time.monotonic() + timeout
        for thread in list(self.threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))


class RQQueue:
    """With REDIS_URL: jobs go on the `microblog-tasks` queue, run by `rq worker`."""

    def __init__(self, url: str, timeout: int) -> None:
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(url)
        self.queue = Queue(tasks.QUEUE_NAME, connection=self.connection)
        self.timeout = timeout

    def enqueue(self, job: str, task_id: str) -> None:
        self.queue.enqueue(
            job,
            task_id,
            job_id=task_id,
            job_timeout=self.timeout,
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )

    def send(self, job: str, *args: object) -> Job:
        """A job with no Task row (an email): RQ runs it again, up to 3 times, when it
        fails or its worker dies; after that it waits in the failed registry for a week
        (`rq requeue`)."""
        from rq import Retry

        return self.queue.enqueue(
            job, *args, retry=Retry(max=3), result_ttl=600, failure_ttl=7 * 86400
        )

    def lost(self, task: Task) -> str | None:
        from redis.exceptions import RedisError
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus
        from rq.worker import Worker

        try:
            job = Job.fetch(task.id, connection=self.connection)
            status = job.get_status()
            if status == JobStatus.STARTED and job.worker_name:
                key = Worker.redis_worker_namespace_prefix + job.worker_name
                if Worker.find_by_key(key, connection=self.connection) is None:
                    return str(_l("The worker running it stopped."))
            if status == JobStatus.QUEUED and self._unclaimed(task):
                job.cancel()  # a worker that comes up later must not start it
                return str(_l("No worker picked it up in time."))
        except NoSuchJobError:
            if utcnow() - task.created_at < tasks.LAUNCH_GRACE:
                return None
            return str(_l("The job queue lost it."))
        except RedisError:
            current_app.logger.warning("Redis unavailable: cannot check task %s", task.id)
            # Its job, if Redis kept it, finds the task failed and does nothing (tasks.run).
            return str(_l("No worker picked it up in time.")) if self._unclaimed(task) else None
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED):
            return str(_l("The worker running it stopped."))
        return None

    @staticmethod
    def _unclaimed(task: Task) -> bool:
        """Queued for longer than TASK_QUEUE_TIMEOUT: no worker runs, or none is free for
        that long. The user is told and may start it again, instead of waiting for ever."""
        timeout = tasks.setting("TASK_QUEUE_TIMEOUT")
        return task.status == "queued" and _older_than(task.created_at, timeout)


def queue_for(app: Flask) -> ThreadQueue | RQQueue:
    """The app's queue, made once: RQ when REDIS_URL is set, else threads."""
    queue = app.extensions.get("microblog-tasks")
    if queue is None:
        url = app.config.get("REDIS_URL")
        timeout = int(app.config.get("TASK_TIMEOUT", tasks.DEFAULTS["TASK_TIMEOUT"]))
        real = app._get_current_object() if hasattr(app, "_get_current_object") else app
        queue = RQQueue(url, timeout) if url else ThreadQueue(real)
        app.extensions["microblog-tasks"] = queue
    return queue


def _older_than(moment: datetime, seconds: int) -> bool:
    return utcnow() - moment > timedelta(seconds=seconds)
