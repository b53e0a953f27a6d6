"""The one place that reads htmx request headers and writes htmx response headers.

A request wants a fragment when it carries `HX-Request: true` and is neither
boosted (a whole page swapped into <body>) nor a history restore.
"""

from __future__ import annotations

from typing import Any

from flask import Response, get_flashed_messages, make_response, render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_partial() -> bool:
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def current_url() -> str | None:
    """The URL of the page an htmx request was sent from (`HX-Current-URL`)."""
    return request.headers.get("HX-Current-URL")


def render(
    page: str, partial: str, /, *, status: int = 200, private: bool = True, **context: Any
) -> Response:
    """Render the full `page`, or only `partial` for an htmx fragment request.

    The page is built from the same partial, so both show the same markup.
    """
    if is_partial():
        return fragment(partial, status=status, private=private, **context)
    response = make_response(render_template(page, **context), status)
    return vary(response, private=private)


def fragment(
    partial: str, /, *, status: int = 200, private: bool = True, **context: Any
) -> Response:
    """Render a fragment; pending flashed messages replace the flash area out of band."""
    html = render_template(partial, **context)
    if flashes := get_flashed_messages(with_categories=True):
        html += render_template("partials/flashes.html", messages=flashes, oob=True)
    return vary(make_response(html, status), private=private)


def vary(response: Response, *, private: bool = True) -> Response:
    response.vary.add("HX-Request")
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def hx_redirect(url: str) -> Response:
    """Send the browser to `url` as a whole-page navigation (204: nothing to swap)."""
    response = make_response("", 204)
    response.headers["HX-Redirect"] = url
    return vary(response)


def replace_url(response: Response, url: str) -> Response:
    """Put `url` in the address bar once htmx has swapped the answer in (`HX-Replace-Url`)."""
    response.headers["HX-Replace-Url"] = url
    return response


def trigger(response: Response, event: str) -> Response:
    """Raise `event` on the client after the swap (`HX-Trigger`)."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event}" if existing else event
    return response
