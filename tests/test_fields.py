"""Form fields render exactly the markup WTForms' own widgets render."""

from __future__ import annotations

import pytest
import wtforms
from flask_wtf import FlaskForm
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
    assert type(ours.thing.label) is not type(theirs.thing.label)
    for kwargs in ({}, {"class_": f"form-label {HOSTILE}"}, {"for_": HOSTILE}):
        assert ours.thing.label(**kwargs) == theirs.thing.label(**kwargs)
        assert ours.thing.label(HOSTILE, **kwargs) == theirs.thing.label(HOSTILE, **kwargs)
        assert "<script>" not in ours.thing.label(HOSTILE, **kwargs)
    assert str(ours.thing.label) == str(theirs.thing.label)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_csrf_token_renders_flask_wtfs_markup(app) -> None:  # noqa: ANN001
    class Ours(fields.Form):
        thing = fields.StringField("Thing")

    class Theirs(FlaskForm):
        thing = wtforms.StringField("Thing")

    with app.test_request_context("/"):
        ours, theirs = Ours(), Theirs()
        assert type(ours.csrf_token.widget) is not type(theirs.csrf_token.widget)
        assert ours.hidden_tag() == theirs.hidden_tag()
        assert 'name="csrf_token" type="hidden" value="' in ours.hidden_tag()
        assert ours.csrf_token(disabled=True) == theirs.csrf_token(disabled=True)
