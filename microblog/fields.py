"""WTForms fields whose widgets write their attributes without `str.format`.

WTForms' `html_params` builds each attribute with `Markup('{k}="{v}"').format(...)`,
which goes through `string.Formatter` (~5 µs an attribute, 5-8 per input): the post
form on the home page cost more than its timeline. `html_params` below gives the same
markup (sorted attributes, escaped names and values, bare boolean attributes); the
fields are WTForms' own with these widgets, so validation and data are unchanged.
"""

from __future__ import annotations

from typing import Any

import wtforms
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


class TextInput(widgets.TextInput):
    html_params = staticmethod(html_params)


class PasswordInput(widgets.PasswordInput):
    html_params = staticmethod(html_params)


class CheckboxInput(widgets.CheckboxInput):
    html_params = staticmethod(html_params)


class SubmitInput(widgets.SubmitInput):
    html_params = staticmethod(html_params)


class TextArea(widgets.TextArea):
    def __call__(self, field: wtforms.Field, **kwargs: Any) -> Markup:  # WTForms' own body
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        params = html_params(name=field.name, **kwargs)
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")


class StringField(wtforms.StringField):
    widget = TextInput()


class PasswordField(wtforms.PasswordField):
    widget = PasswordInput()


class BooleanField(wtforms.BooleanField):
    widget = CheckboxInput()


class SubmitField(wtforms.SubmitField):
    widget = SubmitInput()


class TextAreaField(wtforms.TextAreaField):
    widget = TextArea()
