"""What a form field's input carries besides its value, for assistive technology.

`partials/form_field.html` renders every field with `field_attributes()`: the input names
its help text and its errors (`aria-describedby`, with the ids that partial writes), says it
is invalid (`aria-invalid`), and the first invalid field of a response gets `autofocus`,
which the browser honours when the page loads (no JavaScript) and htmx when it swaps the
form in. A page has one autofocus: later invalid fields do not get it.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, g
from wtforms import Field
from wtforms.widgets import html_params


def autofocus(field: Field) -> bool:
    """True for the first field with errors that this response renders, False after."""
    if not field.errors or g.get("invalid_field_focused"):
        return False
    g.invalid_field_focused = True
    return True


def field_attributes(field: Field, attrs: Mapping[str, object] | None = None) -> dict:
    """`attrs` (the template's extra input attributes) plus the ARIA ones and autofocus."""
    given = dict(attrs or {})
    # A description the template gives (either spelling WTForms accepts) comes first.
    spellings = ("aria-describedby", "aria_describedby")
    described = [given.pop(key) for key in spellings if key in given]
    if field.description:
        described.append(f"{field.id}-help")
    described += [f"{field.id}-error-{n}" for n in range(1, len(field.errors) + 1)]
    if described:
        given["aria-describedby"] = " ".join(str(part) for part in described if part)
    if field.errors:
        given["aria-invalid"] = "true"
        given["autofocus"] = autofocus(field)
    return given


def init_app(app: Flask) -> None:
    app.jinja_env.globals["field_attributes"] = field_attributes
    app.jinja_env.globals["html_params"] = html_params
