"""The app under gunicorn for the concurrency tests (messages, conversations, likes and
follows), and a browser-like client for each person who uses it at the same time."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import PASSWORD
from tests.mailbox import free_port

ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# The token htmx sends in its X-CSRFToken header, from the page's hx-headers.
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class WebClient:
    """One person's browser: keeps its cookies and follows no redirect."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(jar, _NoRedirect())
        self.csrf = ""  # the signed-in session's token, for htmx requests (log_in)

    def open(
        self, method: str, path: str, data: dict | None = None, *, htmx: bool = False
    ) -> tuple[int, str]:
        """The status and body of one request; `htmx`: as htmx sends it (its headers)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if htmx:
            request.add_header("HX-Request", "true")
            request.add_header("X-CSRFToken", self.csrf)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def token(self, path: str) -> str:
        """The CSRF token of the form on `path`."""
        status, html = self.open("GET", path)
        assert status == 200, (path, status)
        return CSRF_INPUT.search(html).group(1)

    def log_in(self, username: str) -> None:
        """Sign in through the form; then keep the new session's token for htmx."""
        data = {
            "username": username,
            "password": PASSWORD,
            "csrf_token": self.token("/auth/login"),
        }
        status, html = self.open("POST", "/auth/login", data)
        assert status == 303, html
        status, html = self.open("GET", "/explore")
        assert status == 200, html
        self.csrf = CSRF_HEADER.search(html).group(1)


@contextmanager
def gunicorn(database_uri: str, tmp_path: Path, **settings: str) -> Iterator[str]:
    """The app under gunicorn (2 workers x 4 threads, CSRF and rate limits on, `settings`
    added to its environment) on a free loopback port: its address. Stopped by its
    process id, whatever happens."""
    port = free_port()
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("# empty: the test passes every setting on the command line\n")
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "SECRET_KEY": "concurrency-test",
        "PYTHONPATH": str(ROOT),
        **settings,
    }
    for name in ("REDIS_URL", "MAIL_SERVER"):
        env.pop(name, None)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "-c", str(config)),
                *("--workers", "2", "--threads", "4", "--worker-class", "gthread"),
                *("--bind", f"127.0.0.1:{port}", "--timeout", "30"),
                "--no-control-socket",  # its default path is shared by every gunicorn of this user
                "microblog:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(base + "/auth/login", timeout=2):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not start in 30 s"
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
