"""Sending email off the request path.

With `MAIL_SERVER` set, Flask-Mail sends over SMTP in a background thread, so a
slow or failing SMTP server never blocks or breaks a request (failures are
logged). Without it (the embedded default), the message is written to the log.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Flask, current_app
from flask_mail import Mail, Message

mail = Mail()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def send_email(
    subject: str,
    recipients: Sequence[str],
    text_body: str,
    html_body: str | None = None,
    *,
    attachments: Sequence[Attachment] = (),
    sync: bool = False,
    sender: str | None = None,
) -> threading.Thread | None:
    """Send a message; in a thread unless `sync` (jobs already run off the request path).

    In a thread, SMTP failures are logged (a request never fails for them); with
    `sync` they are raised, so a job can report that its email did not go out.
    Returns the thread, so callers such as tests may join it.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message = Message(
        subject,
        sender=sender or app.config["MAIL_DEFAULT_SENDER"],
        recipients=list(recipients),
        body=text_body,
        html=html_body,
    )
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content_type, attachment.data)
    if sync:
        _deliver(app, message, raise_errors=True)
        return None
    thread = threading.Thread(target=_deliver, args=(app, message), daemon=True)
    thread.start()
    return thread


def _deliver(app: Flask, message: Message, raise_errors: bool = False) -> None:
    with app.app_context():
        if not app.config.get("MAIL_SERVER"):
            app.logger.info(
                "Email (no MAIL_SERVER set) to %s: %s\n%s",
                message.recipients,
                message.subject,
                message.body,
            )
            return
        try:
            mail.send(message)
        except Exception:  # noqa: BLE001 - a failing SMTP server must never surface as a 500
            app.logger.exception(
                "Could not send email %r to %s", message.subject, message.recipients
            )
            if raise_errors:
                raise


def init_app(app: Flask) -> None:
    mail.init_app(app)
