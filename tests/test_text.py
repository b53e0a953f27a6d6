"""User text: always escaped; web links clickable (nofollow ugc noopener); search words marked."""

from __future__ import annotations

import pytest

from microblog.text import render


def test_plain_text_is_escaped():
    assert render('<b>hi</b> & "you"') == "&lt;b&gt;hi&lt;/b&gt; &amp; &#34;you&#34;"


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "see https://example.com/a?b=1&c=2 now",
            'see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
            "https://example.com/a?b=1&amp;c=2</a> now",
        ),
        (
            "www.example.org!",
            '<a href="http://www.example.org" rel="nofollow ugc noopener">www.example.org</a>!',
        ),
    ],
)
def test_web_links_become_safe_links(text, html):
    assert render(text) == html


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "mail ana@example.com",
        'https://example.com/"onmouseover="alert(1)',
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_nothing_but_web_links_and_no_markup_escapes(text):
    html = str(render(text))
    assert "javascript:" not in html.replace("javascript:alert(1)", "") or "<a" not in html
    assert "<script" not in html and 'href="mailto' not in html and 'href="data' not in html
    assert '"onmouseover' not in html


def test_search_words_are_marked_in_any_case_and_accent():
    html = render("Café and CAFE, but not cafeteria", ["cafe"])
    assert html == "<mark>Café</mark> and <mark>CAFE</mark>, but not cafeteria"


def test_marks_inside_links_keep_the_link_whole():
    html = render("tea at https://tea.example/tea", ["tea"])
    assert html.startswith('<mark>tea</mark> at <a href="https://tea.example/tea"')
    assert "<mark>tea</mark>.example" in html


def test_posts_and_about_me_show_clickable_links(client, alice, make_post):
    make_post(alice, "read https://example.com/x")
    page = client.get("/explore").text
    assert '<a href="https://example.com/x" rel="nofollow ugc noopener">' in page


# --- mentions: `@name` linked for the names a post stored (services/mentions.py) --------


@pytest.fixture
def request_context(app):  # noqa: ANN001, ANN201 - url_for needs a request
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("text", "mentions", "html"),
    [
        ("hi @bob", "bob", 'hi <a class="mention" href="/user/bob">@bob</a>'),
        ("hi @bob.", "bob", 'hi <a class="mention" href="/user/bob">@bob</a>.'),
        ("hi @bob.", "bob.", 'hi <a class="mention" href="/user/bob.">@bob.</a>'),
        ("@bob, @ana", "ana", '@bob, <a class="mention" href="/user/ana">@ana</a>'),
        ("mail@bob.com", "bob", "mail@bob.com"),
        ("@bob", None, "@bob"),
        ("<i>@bob</i>", "bob", '&lt;i&gt;<a class="mention" href="/user/bob">@bob</a>&lt;/i&gt;'),
        (
            "https://example.com/@bob @bob",
            "bob",
            '<a href="https://example.com/@bob" rel="nofollow ugc noopener">'
            'https://example.com/@bob</a> <a class="mention" href="/user/bob">@bob</a>',
        ),
    ],
)
def test_mentions_link_only_the_stored_names(request_context, text, mentions, html):
    assert render(text, (), mentions) == html


def test_search_words_are_marked_inside_mentions(request_context):
    html = render("@bob likes bob", ["bob"], "bob")
    assert html == (
        '<a class="mention" href="/user/bob">@<mark>bob</mark></a> likes <mark>bob</mark>'
    )
