"""Helpers for the export tests: readers of a job's email and progress.

The loopback SMTP server is the shared `mailbox` fixture (tests/mailbox.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Notification
from microblog.services import tasks


def attachment(message: EmailMessage, filename: str) -> bytes:
    for part in message.iter_attachments():
        if part.get_filename() == filename:
            return part.get_payload(decode=True)
    raise AssertionError(f"no attachment {filename!r} in {message['Subject']!r}")


# --- shared by the export tests ---------------------------------------------------------


def task_status(response_text: str) -> str:
    """The `data-status` of the task progress partial in a response."""
    marker = 'data-status="'
    start = response_text.index(marker) + len(marker)
    return response_text[start : response_text.index('"', start)]


@pytest.fixture
def progress_log(app: Flask) -> Iterator[list[dict]]:
    """The `task_progress` notification as committed at each progress step of a job."""
    seen: list[dict] = []

    def record(sender: Flask, task_id: str, progress: int, status: str) -> None:
        with db.engine.connect() as connection:
            payload = connection.execute(
                select(Notification.payload_json).where(Notification.name == "task_progress")
            ).scalar_one()
        seen.append(json.loads(payload))

    tasks.progressed.connect(record, app)
    yield seen
    tasks.progressed.disconnect(record, app)
