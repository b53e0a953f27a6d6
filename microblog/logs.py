"""Production logging: errors emailed to the admins, everything to a rotating file or stdout.

Only outside debug and testing. Flask logs every unhandled exception at ERROR
on `app.logger` (with the traceback); these handlers pick it up.

The SMTP handler sits behind a queue: `SMTPHandler.emit` talks to the mail
server synchronously, and a slow or dead server must not hold up the 500 page
(or any request). A background listener thread does the sending; failures are
reported by `logging` on stderr, never raised. Admins get one email per distinct
error per interval (`ErrorMailLimit`); the log keeps every occurrence.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable
from logging.handlers import QueueHandler, QueueListener, RotatingFileHandler, SMTPHandler
from pathlib import Path

from flask import Flask
from flask.logging import default_handler

FORMAT = "%(asctime)s %(levelname)s: %(message)s [in %(pathname)s:%(lineno)d]"
LOG_FILE = "microblog.log"
MAX_BYTES = 1024 * 1024
BACKUP_COUNT = 10
ERROR_MAIL_INTERVAL_SECONDS = 600


class ErrorMailLimit(logging.Filter):
    """Let through the first record of each distinct error per `interval` seconds.

    A bug on a busy page, or a visitor hitting one URL in a loop, must not send the admins
    thousands of identical emails (and get the sender throttled by the mail server): the
    first email says what broke, the log file has every occurrence. An error is its
    exception's type and the place it was raised (file and line), or, for a record with
    no exception, the place it was logged and its message.

    The memory is this process's only: each gunicorn worker mails an error once per
    interval, so admins may get one email per worker; no store is shared for this.
    """

    MAX_KEYS = 1000  # distinct errors remembered; past that, the expired ones are dropped

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._sent: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()  # records come from every request thread

    def filter(self, record: logging.LogRecord) -> bool:
        key, now = error_key(record), self.clock()
        with self._lock:
            last = self._sent.get(key)
            if last is not None and now - last < self.interval:
                return False
            if len(self._sent) >= self.MAX_KEYS:
                self._sent = {k: t for k, t in self._sent.items() if now - t < self.interval}
            self._sent[key] = now
            return True


def error_key(record: logging.LogRecord) -> tuple[str, ...]:
    """What makes two records the same error: the exception's type and where it was
    raised (the innermost frame of its traceback), else where and what was logged."""
    error = record.exc_info[1] if record.exc_info else None
    if error is None:
        return (record.pathname, str(record.lineno), str(record.msg))
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    trace = error.__traceback__
    if trace is None:
        return (kind, record.pathname, str(record.lineno))
    while trace.tb_next is not None:
        trace = trace.tb_next
    return (kind, trace.tb_frame.f_code.co_filename, str(trace.tb_lineno))


class _QueuedHandler(QueueHandler):
    """A QueueHandler that owns its listener thread and stops it on close."""

    def __init__(self, target: logging.Handler) -> None:
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        super().__init__(records)
        self.listener = QueueListener(records, target, respect_handler_level=True)
        self.listener.start()
        atexit.register(self.close)  # flush queued error mails when the process ends
        # A forked child (a gunicorn worker, the app preloaded) inherits this handler but
        # not the listener thread: without one of its own, its error mails never leave.
        listen_again = weakref.WeakMethod(self._listen_again)
        os.register_at_fork(after_in_child=lambda: (method := listen_again()) and method())

    def _listen_again(self) -> None:
        if self.listener._thread is None:  # closed
            return
        self.queue = self.listener.queue = queue.SimpleQueue()
        self.listener._thread = None
        self.listener.start()

    def close(self) -> None:
        atexit.unregister(self.close)
        if self.listener._thread is not None:  # stop() is not idempotent
            self.listener.stop()
            for handler in self.listener.handlers:
                handler.close()
        super().close()


def smtp_handler(app: Flask) -> logging.Handler | None:
    config = app.config
    if not config.get("MAIL_SERVER") or not config.get("ADMINS"):
        return None
    credentials = None
    if config.get("MAIL_USERNAME") or config.get("MAIL_PASSWORD"):
        credentials = (config.get("MAIL_USERNAME") or "", config.get("MAIL_PASSWORD") or "")
    handler = SMTPHandler(
        mailhost=(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)),
        fromaddr=config.get("MAIL_DEFAULT_SENDER") or f"no-reply@{config['MAIL_SERVER']}",
        toaddrs=list(config["ADMINS"]),
        subject="Microblog Failure",
        credentials=credentials,
        secure=() if config.get("MAIL_USE_TLS") else None,
        timeout=10.0,
    )
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter(FORMAT))
    queued = _QueuedHandler(handler)
    queued.setLevel(logging.ERROR)
    # On the queue's side: queueing turns the exception into text, which has no type.
    interval = config.get("ERROR_MAIL_INTERVAL_SECONDS", ERROR_MAIL_INTERVAL_SECONDS)
    queued.addFilter(ErrorMailLimit(float(interval)))
    return queued


def output_handler(app: Flask) -> logging.Handler:
    if app.config.get("LOG_TO_STDOUT"):
        handler: logging.Handler = logging.StreamHandler(sys.stdout)
    else:
        directory = Path(app.config.get("LOG_DIR") or "logs")
        directory.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            directory / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.INFO)
    return handler


def remove_handlers(logger: logging.Logger) -> None:
    """Detach and close the handlers `init_app` added (their threads and files too)."""
    for old in [h for h in logger.handlers if getattr(h, "microblog", False)]:
        logger.removeHandler(old)
        old.close()


def init_app(app: Flask) -> None:
    if app.debug or app.testing:
        return
    logger = app.logger
    # `app.logger` is one logger per import name: an app built again in the same
    # process (tests, reloads) replaces the handlers of the previous one.
    remove_handlers(logger)
    # Flask's own stderr handler would print every line a second time (to the same
    # terminal or container log as LOG_TO_STDOUT): ours replace it.
    logger.removeHandler(default_handler)
    for handler in (smtp_handler(app), output_handler(app)):
        if handler is not None:
            handler.microblog = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.info("Microblog startup")
