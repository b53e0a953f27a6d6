"""Live translation of posts through the Microsoft Translator API (v3).

A reader asks for one post, by id: the server sends that post's own text, so the paid
API never translates text a client chose. Without `MS_TRANSLATOR_KEY` nothing is
offered. The API is called with a short timeout; any failure (network, HTTP status,
an answer of the wrong shape) is a `TranslationError`, which the view shows in place.
"""

from __future__ import annotations

import logging

import requests
from flask import current_app

TIMEOUT = (3.05, 10)  # seconds to connect, to read
# Language codes that Microsoft Translator spells otherwise (py3langid answers "zh", "nn",
# "no"; older posts stored langdetect's "zh-cn" and "zh-tw").
MICROSOFT_CODES = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-tw": "zh-Hant", "no": "nb", "nn": "nb"}

log = logging.getLogger(__name__)


class TranslationError(Exception):
    """The translation service could not translate (down, refused, or answered nonsense)."""


def available() -> bool:
    return bool(current_app.config.get("MS_TRANSLATOR_KEY"))


def offered(language: str | None, reader_language: str) -> bool:
    """Whether a post written in `language` gets a "Translate" link for this reader."""
    return available() and bool(language) and language.split("-")[0] != reader_language


def translate(text: str, source: str | None, dest: str) -> str:
    config = current_app.config
    headers = {"Ocp-Apim-Subscription-Key": config["MS_TRANSLATOR_KEY"]}
    if config.get("MS_TRANSLATOR_REGION"):
        headers["Ocp-Apim-Subscription-Region"] = config["MS_TRANSLATOR_REGION"]
    params = {"api-version": "3.0", "to": MICROSOFT_CODES.get(dest, dest)}
    if source:
        params["from"] = MICROSOFT_CODES.get(source, source)
    try:
        response = requests.post(
            config["MS_TRANSLATOR_URL"].rstrip("/") + "/translate",
            params=params,
            headers=headers,
            json=[{"Text": text}],
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return str(response.json()[0]["translations"][0]["text"])
    except (requests.RequestException, ValueError, LookupError, TypeError) as error:
        log.warning("Translation failed: %r", error)
        raise TranslationError(str(error)) from error
