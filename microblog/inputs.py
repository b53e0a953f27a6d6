"""Input that no visitor can turn into a 500, checked once for every request.

Views never check these one by one:

- A NUL byte cannot reach PostgreSQL at all (psycopg refuses it, where SQLite stores it),
  so a NUL in the path is a 404 (no page has such a name) and one in the query string or
  a header a 400 (RFC 9110 forbids it in a header anyway). Form fields are left to their
  form: `forms.TextOnly` refuses NUL with an error next to the field, which a 400 page
  would lose. So is Authorization to the API's auth, whose refusal is a 401 that says
  how to authenticate (WWW-Authenticate).
- Ids are 32-bit INTEGER columns: the `int` URL converter of every route matches
  0..2**31-1 only, so a larger number is a 404 before any query (SQLite overflows at
  2**63, PostgreSQL at 2**31). `row_id` does the same for an id in the query string.
- JSON bodies nest at most MAX_JSON_DEPTH levels: a deeper one made the parser raise
  RecursionError (a 500), and no document the app accepts nests more than a few.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import _
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

NUL = "\x00"
HEADERS_CHECKED_ELSEWHERE = {"authorization"}
ID_MAX = 2**31 - 1  # the largest value of an INTEGER column (every id)
MAX_JSON_DEPTH = 32


class DatabaseId(IntegerConverter):
    """The `int` converter, bounded by what an INTEGER column holds unless a route says.

    A number past the bound is no row of ours: a 404 whatever the method. (Refusing the
    match instead, as `max=` does, lets werkzeug answer 405 when another rule of the same
    path takes other methods: `PUT /api/users/<huge>`.)
    """

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if self.max is None and number > ID_MAX:
            raise NotFound()
        return number


def row_id(value: str) -> int:
    """An id from the query string (`request.args.get(name, type=row_id)`): out of the
    INTEGER range it is a ValueError, so `get` answers None and no query fails."""
    number = int(value)
    if not 0 <= number <= ID_MAX:
        raise ValueError(f"{value!r} is not an id")
    return number


class DepthLimitedJSON(DefaultJSONProvider):
    """Flask's JSON provider, refusing documents nested deeper than MAX_JSON_DEPTH.

    A ValueError is what `request.get_json` turns into a 400 (or None when `silent`).
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            data = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON document is nested too deeply") from None
        if nested_deeper_than(data, MAX_JSON_DEPTH):
            raise ValueError("the JSON document is nested too deeply")
        return data


def nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether `data` has lists or objects more than `limit` levels deep (no recursion)."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def refuse_nul() -> None:
    """404 for a NUL in the path, 400 for one in the query string or a header."""
    if NUL in request.path:
        abort(404)
    in_query = any(NUL in key or NUL in value for key, value in request.args.items(multi=True))
    in_headers = any(
        NUL in value
        for name, value in request.headers.items()
        if name.lower() not in HEADERS_CHECKED_ELSEWHERE
    )
    if in_query or in_headers:
        abort(400, description=_("The request contains a NUL character, which is not allowed."))


def init_app(app: Flask) -> None:
    """Before any route is added: the `int` converter applies to the rules it compiles."""
    app.url_map.converters["int"] = DatabaseId
    app.json = DepthLimitedJSON(app)
    app.before_request(refuse_nul)
