"""User text as HTML: escaped, with its web links clickable and searched words marked.

Posts and about-me are plain text. `render()` escapes every character of it and adds
only two kinds of markup of its own: `<a rel="nofollow ugc noopener">` around the web
addresses that linkify-it finds (http, https and bare `www.`/domain links; no mailto,
no other schemes), and `<mark>` around the words a search looked for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from flask import Flask
from linkify_it import LinkifyIt
from markupsafe import Markup, escape

WORD = re.compile(r"\w+")
SCHEMES = ("http://", "https://")


@cache
def _linkify() -> LinkifyIt:
    return LinkifyIt().set({"fuzzy_email": False})


def fold(word: str) -> str:
    """A word as full-text search compares it: lower case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _marked(text: str, marks: frozenset[str]) -> Markup:
    if not marks:
        return escape(text)
    parts, start = [], 0
    for word in WORD.finditer(text):
        if fold(word.group()) in marks:
            parts += [escape(text[start : word.start()]), Markup("<mark>")]
            parts += [escape(word.group()), Markup("</mark>")]
            start = word.end()
    parts.append(escape(text[start:]))
    return Markup("").join(parts)


def render(text: str | None, marks: Iterable[str] = ()) -> Markup:
    """`text` escaped, its links clickable, the words in `marks` highlighted."""
    text = text or ""
    wanted = frozenset(fold(word) for word in marks)
    linkify = _linkify()
    links = linkify.match(text) if linkify.pretest(text) else None
    parts, start = [], 0
    for link in links or ():
        if not link.url.lower().startswith(SCHEMES):
            continue
        parts.append(_marked(text[start : link.index], wanted))
        parts.append(
            Markup('<a href="{}" rel="nofollow ugc noopener">{}</a>').format(
                link.url, _marked(link.raw, wanted)
            )
        )
        start = link.last_index
    parts.append(_marked(text[start:], wanted))
    return Markup("").join(parts)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["user_text"] = render
