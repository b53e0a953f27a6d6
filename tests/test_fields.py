"""Form fields for assistive technology: an invalid input says so and names its errors, and
the first invalid field of a response, only it, has the focus (microblog/fields.py)."""

from __future__ import annotations

import re

from microblog.fields import field_attributes
from microblog.forms import PostForm


def inputs(page: str) -> dict[str, str]:
    """Each input's or textarea's opening tag, by id."""
    tags = re.findall(r"<(?:input|textarea)\b[^>]*>", page)
    return {m.group(1): tag for tag in tags if (m := re.search(r'\bid="([^"]+)"', tag))}


def test_invalid_fields_name_their_errors_and_the_first_has_the_focus(client):
    response = client.post("/auth/register", data={"email": "not an address", "password": "short"})
    assert response.status_code == 422
    fields = inputs(response.text)
    assert 'aria-invalid="true"' in fields["username"]
    assert 'aria-describedby="username-error-1"' in fields["username"]
    assert 'id="username-error-1">This field is required.<' in response.text
    assert 'aria-describedby="email-error-1"' in fields["email"]
    # The help text comes first, then the errors.
    assert re.search(r'aria-describedby="password-help password-error-1[" ]', fields["password"])
    focused = [name for name, tag in fields.items() if re.search(r"\bautofocus\b", tag)]
    assert focused == ["username"]


def test_a_valid_form_has_no_focus_and_no_error_links(client):
    fields = inputs(client.get("/auth/register").text)
    assert not any("autofocus" in tag or "aria-invalid" in tag for tag in fields.values())
    assert 'aria-describedby="password-help"' in fields["password"]
    assert "aria-describedby" not in fields["username"]


def test_a_description_given_by_the_page_comes_first(app):
    with app.test_request_context("/"):
        form = PostForm(meta={"csrf": False}, data={"post": ""})
        form.validate()
        for spelling in ("aria-describedby", "aria_describedby"):
            attrs = field_attributes(form.post, {spelling: "post-live", "rows": 3})
            assert attrs["aria-describedby"] == "post-live post-error-1"
            assert spelling == "aria-describedby" or spelling not in attrs
            assert attrs["rows"] == 3 and attrs["aria-invalid"] == "true"
