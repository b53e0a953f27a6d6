"""Template globals that need the request: partials, links to other pages of the same list."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import jinja_partials
from flask import Flask, g, has_app_context, has_request_context, request
from flask.templating import Environment as FlaskEnvironment

from microblog.caches import BoundedCache

URL_CACHE_SIZE = 10_000


class Environment(FlaskEnvironment):
    """Flask's Jinja environment, with each template's globals in a plain dict.

    Jinja 3 gives a template a `ChainMap` of its own globals over the environment's and
    copies it into a new dict for every render: ~12 µs for this app's 27 globals, against
    ~1 µs from a dict, and a page renders 6-10 templates and partials. Here a template
    gets a dict of the globals as they are when it is loaded. Globals are therefore set up
    before the first render, as Jinja's docs advise anyway (`create_app` sets them all);
    a template never writes to the environment's globals, as with the `ChainMap`.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def page_url_for(link: Callable[..., str]) -> Callable[..., str]:
    def page_url(number: int, **overrides: object) -> str:
        """The current view's URL with `page=number`, keeping its other query arguments."""
        args = {**request.args.to_dict(), **(request.view_args or {}), **overrides}
        args["page"] = number
        return link(request.endpoint, **args)

    return page_url


def remembering_url_for(app: Flask) -> Callable[..., str]:
    """`url_for` for templates, remembering plain links: a list page builds ~75 of them.

    A link without `_external`/`_anchor`/... built during a request is a pure function
    of the script root (links are relative), the endpoint and the values, as long as the
    app has no url_defaults or build-error handlers; anything else goes straight to Flask.
    """
    remembered: BoundedCache[tuple, str] = BoundedCache(URL_CACHE_SIZE)

    def template_url_for(endpoint: str, /, **values: object) -> str:
        if (
            endpoint[:1] == "."
            or not has_request_context()
            or app.url_build_error_handlers
            or any(app.url_default_functions.values())
            or any(name[:1] == "_" for name in values)
        ):
            return app.url_for(endpoint, **values)
        try:
            key = (request.script_root, endpoint, *((k, type(v), v) for k, v in values.items()))
            url = remembered.get(key)
        except TypeError:  # an unhashable value (a list for a repeated argument)
            return app.url_for(endpoint, **values)
        if url is None:
            url = app.url_for(endpoint, **values)
            remembered.put(key, url)
        return url

    return template_url_for


def partial_renderer(app: Flask) -> Callable[..., str]:
    """What `render_partial` renders with: `flask.render_template`, less its per-call work.

    A page renders 6-10 partials, and `render_template` runs the context processors and
    sends two signals for each (~10 µs a partial). Here the processors run once per
    request and their values are reused for every partial of that request (`g`, `request`,
    `session`, `csrf_token`); a partial's own arguments still win over them, as in Flask.
    """

    def render(name: str, /, **data: object) -> str:
        template = app.jinja_env.get_template(name)
        if not has_app_context():
            return template.render(**data)
        owner = request._get_current_object() if has_request_context() else None
        remembered = g.get("_partial_context")
        if remembered is None or remembered[0] is not owner:
            remembered = g._partial_context = (owner, {})
            app.update_template_context(remembered[1])
        return template.render({**remembered[1], **data})

    return render


def init_app(app: Flask) -> None:
    app.jinja_env.globals["render_partial"] = jinja_partials.generate_render_partial(
        partial_renderer(app)
    )
    link = remembering_url_for(app)
    app.jinja_env.globals["url_for"] = link
    app.jinja_env.globals["page_url"] = page_url_for(link)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
