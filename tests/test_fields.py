"""Form fields render exactly the markup WTForms' own widgets render."""

from __future__ import annotations

import pytest
import wtforms
from werkzeug.datastructures import MultiDict
from wtforms.validators import DataRequired, Length

from microblog import fields

HOSTILE = "\"><script>alert(1)</script> & 'x'"


@pytest.mark.parametrize(
    "name", ["StringField", "PasswordField", "BooleanField", "SubmitField", "TextAreaField"]
)
def test_fields_render_wtforms_markup(name: str) -> None:
    def form_of(module: object) -> wtforms.Form:
        field = getattr(module, name)
        validators = [DataRequired(), Length(min=1, max=140)]

        class F(wtforms.Form):
            thing = field(HOSTILE, validators=validators, render_kw={"data_x": HOSTILE})

        return F(MultiDict({"thing": HOSTILE}))

    ours, theirs = form_of(fields), form_of(wtforms)
    assert type(ours.thing.widget) is not type(theirs.thing.widget)  # really ours
    for kwargs in ({}, {"class_": f"form-control {HOSTILE}", "rows": 3, "disabled": True}):
        assert ours.thing(**kwargs) == theirs.thing(**kwargs)
        assert "<script>" not in ours.thing(**kwargs)
    assert ours.thing.label(class_="form-label") == theirs.thing.label(class_="form-label")
