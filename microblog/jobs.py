"""RQ entry points: `rq worker microblog-tasks` imports this module and calls them by name.

Each builds the app once per worker process (cached), pushes an app context and calls a
service: through `tasks.run` for a task (a Task row the user watches); emails are jobs
with no row, retried by RQ instead. When an app is already active (the thread fallback, or an
RQ worker embedded in the app process) that app is used instead of building a second one.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale

from microblog import create_app, email
from microblog.services import exports, passwords, tasks


@cache
def worker_app() -> Flask:
    return create_app()


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return worker_app()


def export_posts(task_id: str) -> None:
    with _app().app_context():  # a context of its own: its own database session
        tasks.run(task_id, exports.export_posts)


def deliver_email(message: dict[str, Any]) -> None:
    """An email queued by `email.send_email`; a failure raises, so RQ runs it again."""
    with _app().app_context():
        email.deliver(message)


def request_password_reset(address: str, url_root: str, language: str) -> None:
    """The whole reset request (lookup, token, email) off the request, whatever the address,
    so the web answer says nothing about it; links point at the site the user asked."""
    with _app().app_context(), force_locale(language):
        passwords.request_reset(address, passwords.reset_link(url_root), sync=True)
