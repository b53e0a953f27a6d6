"""WTForms fields whose widgets and labels write their attributes without `str.format`.

WTForms' `html_params` builds each attribute with `Markup('{k}="{v}"').format(...)`,
which goes through `string.Formatter` (~5 µs an attribute, 5-8 per input), and its
inputs look for validation flags with `dir(field.flags)` (~4 µs an input): the post
form on the home page cost more than its timeline. `html_params` below gives the same
markup (sorted attributes, escaped names and values, bare boolean attributes); the
fields are WTForms' own with these widgets and labels, so validation and data are
unchanged. `Form` gives a FlaskForm's CSRF field the same hidden input.
"""

from __future__ import annotations

from typing import Any

import wtforms
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets.core import clean_key


def html_params(**kwargs: Any) -> Markup:
    """`wtforms.widgets.html_params`, the same output (escape() also escapes quotes)."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(str(escape(clean_key(key))))
        elif value is not False:
            params.append(f'{escape(clean_key(key))}="{escape(value)}"')
    return Markup(" ".join(params))


def _with_flags(
    widget: widgets.Input | widgets.TextArea, field: wtforms.Field, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """WTForms' validation attributes (`required`, `maxlength`...) from the field's flags:
    the flags it has (`vars`), not every name `dir()` lists."""
    for key, value in vars(getattr(field, "flags", {})).items():
        if key in widget.validation_attrs and key not in kwargs:
            kwargs[key] = value() if callable(value) else value
    return kwargs


class Input(widgets.Input):
    def __call__(self, field: wtforms.Field, **kwargs: Any) -> Markup:  # WTForms' own body
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("type", self.input_type)
        if "value" not in kwargs:
            kwargs["value"] = field._value()
        params = html_params(name=field.name, **_with_flags(self, field, kwargs))
        return Markup(f"<input {params}>")


# WTForms' widgets, whose own __call__ (hide a password, check a box) ends in ours.
class TextInput(widgets.TextInput, Input):
    pass


class PasswordInput(widgets.PasswordInput, Input):
    pass


class CheckboxInput(widgets.CheckboxInput, Input):
    pass


class SubmitInput(widgets.SubmitInput, Input):
    pass


class HiddenInput(widgets.HiddenInput, Input):
    pass


class TextArea(widgets.TextArea):
    def __call__(self, field: wtforms.Field, **kwargs: Any) -> Markup:  # WTForms' own body
        kwargs.setdefault("id", field.id)
        params = html_params(name=field.name, **_with_flags(self, field, kwargs))
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")


class Label(wtforms.Label):
    def __call__(self, text: str | None = None, **kwargs: Any) -> Markup:  # WTForms' own
        if "for_" in kwargs:
            kwargs["for"] = kwargs.pop("for_")
        else:
            kwargs.setdefault("for", self.field_id)
        attributes = html_params(**kwargs)
        attributes = f" {attributes}" if attributes else ""
        return Markup(f"<label{attributes}>{escape(text or self.text)}</label>")


class FastLabel:
    """Gives a field the label above in place of WTForms' (same id and text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = Label(self.label.field_id, self.label.text)


class StringField(FastLabel, wtforms.StringField):
    widget = TextInput()


class PasswordField(FastLabel, wtforms.PasswordField):
    widget = PasswordInput()


class BooleanField(FastLabel, wtforms.BooleanField):
    widget = CheckboxInput()


class SubmitField(FastLabel, wtforms.SubmitField):
    widget = SubmitInput()


class TextAreaField(FastLabel, wtforms.TextAreaField):
    widget = TextArea()


class Form(FlaskForm):
    """A FlaskForm whose CSRF token renders with the hidden input above (`hidden_tag()`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.meta.csrf:
            self[self.meta.csrf_field_name].widget = HIDDEN


HIDDEN = HiddenInput()
