"""Sending email off the request path, without losing any when a process stops.

With `REDIS_URL` an email is a job on the RQ queue `microblog-tasks`
(`jobs.deliver_email`): it outlives the web worker that queued it, and RQ runs it again
when it fails or its worker dies. Without it (the embedded default) a thread of this
process sends it; the `outbox` knows those threads, and the process waits for them, for
a bounded time, before it exits: gunicorn's `worker_exit` hook (gunicorn.conf.py) and
`atexit` both call `drain()`. Either way a slow or failing SMTP server never blocks or
breaks a request (failures are logged). Without `MAIL_SERVER` the message is written
to the log.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask_mail import Mail, Message
from werkzeug.utils import import_string

if TYPE_CHECKING:
    from rq.job import Job

mail = Mail()
log = logging.getLogger("microblog")  # app.logger's name: its handlers write this too
DRAIN_SECONDS = 10.0  # how long a stopping process (other than gunicorn's) waits for mail


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


class EmailNotSent(Exception):
    """SMTP refused or failed; already logged, so whoever catches it need not log again."""


def send_email(
    subject: str,
    recipients: Sequence[str],
    text_body: str,
    html_body: str | None = None,
    *,
    attachments: Sequence[Attachment] = (),
    sync: bool = False,
    sender: str | None = None,
) -> threading.Thread | Job | None:
    """Send a message in the background, or now with `sync` (jobs already run off the
    request path, and want to know: `EmailNotSent` is raised).

    Returns the thread or the RQ job that sends it, so callers such as tests may wait.
    """
    message = {
        "subject": str(subject),
        "sender": sender or current_app.config["MAIL_DEFAULT_SENDER"],
        "recipients": list(recipients),
        "body": text_body,
        "html": html_body,
        "attachments": [(a.filename, a.content_type, a.data) for a in attachments],
    }
    if sync:
        deliver(message)
        return None
    return background("microblog.jobs.deliver_email", message)


def background(job: str, *args: Any) -> threading.Thread | Job:
    """Run the entry point `job` (a dotted path in microblog.jobs) off the request.

    On the RQ queue with REDIS_URL; in an outbox thread without it, or when Redis does not
    answer (the email still goes, from this process). The arguments must pickle.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("REDIS_URL"):
        from microblog.services import queues

        try:
            return queues.queue_for(app).send(job, *args)  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - Redis down: send from here rather than not at all
            app.logger.exception("Could not queue %s: running it in this process", job)
    return outbox.start(app, import_string(job), args)


def deliver(message: dict[str, Any]) -> None:
    """Send `message` (as `send_email` built it) now, with the current app's settings."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("MAIL_SERVER"):
        app.logger.info(
            "Email (no MAIL_SERVER set) to %s: %s\n%s",
            message["recipients"],
            message["subject"],
            message["body"],
        )
        return
    email = Message(
        message["subject"],
        sender=message["sender"],
        recipients=message["recipients"],
        body=message["body"],
        html=message["html"],
    )
    for filename, content_type, data in message["attachments"]:
        email.attach(filename, content_type, data)
    try:
        mail.send(email)
    except Exception as error:  # noqa: BLE001 - a failing SMTP server must never surface as a 500
        app.logger.exception(
            "Could not send email %r to %s", message["subject"], message["recipients"]
        )
        raise EmailNotSent(message["subject"]) from error


class Outbox:
    """The threads of this process that are sending email, so that it can wait for them.

    They are daemon threads: a hung SMTP server must not keep a process alive for ever;
    `drain()` is the bounded wait that lets the others finish.
    """

    def __init__(self) -> None:
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def start(
        self, app: Flask, target: Callable[..., None], args: Sequence[Any]
    ) -> threading.Thread:
        thread = threading.Thread(
            target=self._run, args=(app, target, args), name=f"email-{target.__name__}"
        )
        thread.daemon = True
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    def _run(self, app: Flask, target: Callable[..., None], args: Sequence[Any]) -> None:
        try:
            with app.app_context():
                target(*args)
        except EmailNotSent:
            pass  # logged where it failed
        except Exception:  # noqa: BLE001 - a background thread has no one else to tell
            app.logger.exception("Background email job %s failed", target.__name__)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def pending(self) -> int:
        with self._lock:
            return len(self._threads)

    def drain(self, timeout: float = DRAIN_SECONDS) -> int:
        """Wait up to `timeout` seconds for the emails being sent; return how many are left.

        Says so once in the log when there is anything to wait for (a second call, from
        `atexit` after gunicorn's hook, finds nothing and says nothing).
        """
        with self._lock:
            threads = list(self._threads)
        if not threads:
            return 0
        log.info("Waiting up to %.0f s for %d email(s) still being sent", timeout, len(threads))
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        left = sum(thread.is_alive() for thread in threads)
        if left:
            log.error("%d email(s) still being sent after %.0f s: given up", left, timeout)
        return left


outbox = Outbox()
atexit.register(outbox.drain)


def init_app(app: Flask) -> None:
    mail.init_app(app)
