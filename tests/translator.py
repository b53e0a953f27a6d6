"""A stand-in for the Microsoft Translator API (v3) on 127.0.0.1: the paid service can't
be reached from tests, so this HTTP server speaks its protocol.

`POST /translate?api-version=3.0&from=es&to=en` with `Ocp-Apim-Subscription-Key` and a
JSON body `[{"Text": "..."}]` answers `[{"translations": [{"text": "...", "to": "en"}]}]`,
the text being "<to>: <Text>" (or what `answers` holds for it); a wrong key gets
Microsoft's 401 error document. `failure` plays a broken service.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

KEY = "test-translator-key"


@dataclass
class Translator:
    url: str = ""
    requests: list[dict] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    failure: str | None = None  # "500" (a server error) or "garbage" (a 200 of nonsense)

    def config(self) -> dict[str, object]:
        return {"MS_TRANSLATOR_KEY": KEY, "MS_TRANSLATOR_URL": self.url}


def handler_for(translator: Translator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            translator.requests.append(
                {"path": url.path, "query": query, "headers": dict(self.headers), "body": body}
            )
            if self.headers.get("Ocp-Apim-Subscription-Key") != KEY:
                error = {"code": 401000, "message": "The request is not authorized."}
                return self.answer(401, {"error": error})
            if translator.failure == "500":
                return self.answer(500, {"error": {"code": 500000, "message": "Internal"}})
            if translator.failure == "garbage":
                return self.answer(200, {"unexpected": True})
            to = query["to"]
            texts = [translator.answers.get(t["Text"], f"{to}: {t['Text']}") for t in body]
            return self.answer(200, [{"translations": [{"text": t, "to": to}]} for t in texts])

        def answer(self, status: int, document: object) -> None:
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def translator() -> Iterator[Translator]:
    state = Translator()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    state.url = f"http://127.0.0.1:{server.server_port}"
    # A short poll interval: `shutdown()` waits for the loop to look (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
