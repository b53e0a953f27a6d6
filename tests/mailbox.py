"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 and a free port, keeping what it receives.

The `mailbox` fixture (registered in tests/conftest.py) gives each test its own.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        """The decoded body part of `content_type` ("text/plain", "text/html")."""
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_attachment():
                return part.get_content()
        raise AssertionError(f"no {content_type} part in {self.message}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Received] = []
        # Seconds each DATA takes at most, to play a slow mail server; `release()` ends it.
        self.delay = 0.0
        self._released = threading.Event()
        self._arrived = threading.Condition()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline and not self._released.is_set():
            await asyncio.sleep(0.02)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def release(self) -> None:
        """From now on the slow server answers at once (mail held back goes through too)."""
        self._released.set()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Block until `count` messages arrived (mail is sent in the background)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self.messages)} of {count} messages arrived")
                self._arrived.wait(remaining)
            return list(self.messages)

    def wait(self, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """Like `wait_for`, giving the parsed messages."""
        return [received.message for received in self.wait_for(count, timeout)]

    def config(self) -> dict[str, object]:
        """App settings that send mail here for real (Flask-Mail suppresses mail when TESTING)."""
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_SUPPRESS_SEND": False,
        }

    def __enter__(self) -> Mailbox:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def link_in(text: str) -> str:
    """The password reset link in an email body."""
    match = re.search(r"https?://[^\s\"<>]+/auth/reset_password/[^\s\"<>]+", text)
    assert match, f"no reset link in {text!r}"
    return match.group(0)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box
