"""Authors edit and delete their own posts (SPEC 21): in place with htmx, through pages
without JavaScript; others get 403 and never see the controls. The composer and the edit
form set the post's language (detected unless the author picks one)."""

from __future__ import annotations

import re

import pytest
from babel import Locale
from sqlalchemy import select

from microblog.extensions import db
from microblog.models import Post, User
from microblog.services import languages, posts
from tests.conftest import PASSWORD, make_app, without_csrf_token

SPANISH = "Hoy es un día muy bonito para salir a caminar por el parque"


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def mine(alice, make_post) -> Post:
    return make_post(alice, "my first words")


@pytest.fixture
def theirs(bob, make_post) -> Post:
    return make_post(bob, "bob speaks")


def stored(post_id: int) -> Post | None:
    db.session.expire_all()
    return db.session.get(Post, post_id)


def selected(html: str, select_id: str) -> str:
    """The value of the selected option of the select `select_id`."""
    select_html = re.search(rf'<select[^>]* id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    return re.search(r'<option value="([^"]*)" selected>', select_html.group(1)).group(1)


# The controls ------------------------------------------------------------------------------


def test_only_the_author_sees_edit_and_delete(client, mine, theirs):
    page = client.get("/explore").text
    assert f'href="/post/{mine.id}/edit?next=/explore"' in page
    assert f'hx-get="/post/{mine.id}/edit" hx-target="#post-{mine.id}"' in page
    assert f'href="/post/{mine.id}/delete?next=/explore"' in page
    assert f'hx-post="/post/{mine.id}/delete" hx-confirm="Delete this post?"' in page
    assert f"/post/{theirs.id}/edit" not in page and f"/post/{theirs.id}/delete" not in page


def test_controls_come_back_to_the_page_they_are_on(client, hx, mine):
    page = client.get("/user/alice?page=1").text
    assert f'href="/post/{mine.id}/edit?next=/user/alice?page%3D1"' in page
    # A fragment's rows come back to the page htmx shows them on, not to the fragment's URL.
    fragment = hx("GET", "/explore?page=1", headers={"HX-Current-URL": "http://x/search?q=my"})
    assert f'href="/post/{mine.id}/edit?next=/search?q%3Dmy"' in fragment.text


# Editing -----------------------------------------------------------------------------------


def test_edit_page_without_js_is_the_form_with_the_post(client, mine):
    response = client.get(f"/post/{mine.id}/edit?next=/explore")
    assert response.status_code == 200 and "<html" in response.text
    assert "<h1" in response.text and "Edit your post" in response.text
    form = re.search(rf'<form id="post-edit-{mine.id}"[^>]*>', response.text).group(0)
    assert f'action="/post/{mine.id}/edit?next=/explore"' in form
    assert 'method="post"' in form
    textarea = re.search(r"<textarea[^>]*>([^<]*)</textarea>", response.text)
    assert 'name="post"' in textarea.group(0) and "autofocus" in textarea.group(0)
    assert textarea.group(1).strip() == "my first words"
    assert selected(response.text, f"edit-{mine.id}-language") == "en"
    assert 'href="/explore"' in response.text  # Cancel


def test_edit_without_js_saves_and_returns_to_next(client, mine):
    response = client.post(
        f"/post/{mine.id}/edit?next=/explore", data={"post": "better words", "language": "en"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/explore"
    post = stored(mine.id)
    assert post.body == "better words" and post.edited_at is not None
    page = client.get("/explore").text
    assert "better words" in page and "my first words" not in page
    assert '<span class="post-edited">edited</span>' in page
    assert "Your changes have been saved." in page


@pytest.mark.parametrize(
    "next_url", ["", "https://evil.example/", "//evil.example/", "/\\evil", "javascript:x"]
)
def test_edit_without_js_never_leaves_the_site(client, mine, next_url):
    response = client.post(
        f"/post/{mine.id}/edit", query_string={"next": next_url}, data={"post": "changed"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/user/alice"


def test_edit_in_place_with_htmx(hx, mine):
    form = hx("GET", f"/post/{mine.id}/edit")
    assert form.status_code == 200 and "<html" not in form.text
    # The row's place: the same id, so Save and Cancel swap the row back there.
    assert form.text.lstrip().startswith('<article class="post post-editing')
    assert f'id="post-{mine.id}"' in form.text.split(">")[0]
    assert f'hx-post="/post/{mine.id}/edit' in form.text
    # Save and Cancel (a descendant of the form) swap the row.
    assert f'hx-target:inherited="#post-{mine.id}" hx-swap:inherited="outerHTML"' in form.text
    assert f'hx-get="/post/{mine.id}/row"' in form.text
    assert re.search(r"<textarea[^>]* autofocus ", form.text)
    assert "HX-Request" in form.headers["Vary"]

    saved = hx("POST", f"/post/{mine.id}/edit", data={"post": "edited in place", "language": ""})
    assert saved.status_code == 200 and "<html" not in saved.text
    assert saved.text.lstrip().startswith('<article class="post')
    assert f'id="post-{mine.id}"' in saved.text
    assert "edited in place" in saved.text and ">edited</span>" in saved.text
    assert re.search(r'class="btn btn-sm btn-link post-edit"[^>]* autofocus>Edit</a>', saved.text)
    assert 'hx-swap-oob="innerHTML:#flashes"' in saved.text  # announced
    assert "Your changes have been saved." in saved.text


def test_cancel_gives_the_row_back(client, hx, mine):
    row = hx("GET", f"/post/{mine.id}/row")
    assert row.status_code == 200 and "<html" not in row.text
    assert f'id="post-{mine.id}"' in row.text and "my first words" in row.text
    assert "edited" not in row.text and stored(mine.id).edited_at is None
    assert re.search(r"post-edit\"[^>]* autofocus>", row.text)
    assert hx("GET", "/post/999999/row").status_code == 404
    page = client.get(f"/post/{mine.id}/row")  # no page of its own: the post's page
    assert page.status_code == 302 and page.headers["Location"] == f"/post/{mine.id}"


def test_edit_fragment_is_the_edit_page_form(client, hx, mine):
    fragment = hx("GET", f"/post/{mine.id}/edit").text.strip()
    page = client.get(f"/post/{mine.id}/edit").text
    assert without_csrf_token(fragment) in without_csrf_token(page)  # one source


def test_saving_the_same_text_marks_nothing(hx, mine):
    response = hx(
        "POST", f"/post/{mine.id}/edit", data={"post": "my first words", "language": "en"}
    )
    assert response.status_code == 200 and ">edited</span>" not in response.text
    assert stored(mine.id).edited_at is None


@pytest.mark.parametrize("body", ["", "   ", "x" * 141, "a\x00b"])
def test_bad_edit_is_refused_next_to_the_field_and_kept(client, hx, mine, body):
    for response in (
        client.post(f"/post/{mine.id}/edit", data={"post": body}),
        hx("POST", f"/post/{mine.id}/edit", data={"post": body}),
    ):
        assert response.status_code == 422
        assert 'class="invalid-feedback"' in response.text
        assert re.search(r'<textarea[^>]*aria-invalid="true"', response.text)
        if body.strip() and "\x00" not in body:
            assert body in response.text  # the text is kept
    assert "<html" not in response.text and f'id="post-{mine.id}"' in response.text
    post = stored(mine.id)
    assert post.body == "my first words" and post.edited_at is None


def test_file_sent_as_the_text_is_refused(client, mine):
    import io

    response = client.post(
        f"/post/{mine.id}/edit",
        data={"post": (io.BytesIO(b"\x89PNG"), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and stored(mine.id).body == "my first words"


# Only the author ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "edit"), ("POST", "edit"), ("GET", "delete"), ("POST", "delete")],
)
def test_a_stranger_gets_403_and_nothing_changes(client, hx, alice, theirs, method, path):
    data = {"post": "hijacked"} if method == "POST" else None
    response = client.open(f"/post/{theirs.id}/{path}", method=method, data=data)
    assert response.status_code == 403 and "<html" in response.text
    assert "Only its author can change or delete a post." in response.text
    fragment = hx(method, f"/post/{theirs.id}/{path}", data=data)
    assert fragment.status_code == 403 and fragment.headers["HX-Retarget"] == "#flashes"
    post = stored(theirs.id)
    assert post is not None and post.body == "bob speaks"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "edit"), ("POST", "edit"), ("GET", "delete"), ("POST", "delete")],
)
def test_unknown_posts_are_404(client, alice, method, path):
    assert client.open(f"/post/424242/{path}", method=method).status_code == 404
    assert client.open(f"/post/{2**40}/{path}", method=method).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, hx, mine):
    client.post("/auth/logout")
    for method, path in [("GET", "edit"), ("POST", "edit"), ("POST", "delete")]:
        response = client.open(f"/post/{mine.id}/{path}", method=method, data={"post": "x"})
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert stored(mine.id).body == "my first words"


# Deleting ----------------------------------------------------------------------------------


def test_delete_without_js_asks_on_a_page_then_deletes(client, mine):
    post_id = mine.id
    page = client.get(f"/post/{post_id}/delete?next=/explore")
    assert page.status_code == 200 and "<html" in page.text
    assert "Delete this post?" in page.text and "my first words" in page.text
    assert f'<form method="post" action="/post/{post_id}/delete?next=/explore"' in page.text
    assert 'href="/explore"' in page.text  # Cancel
    assert stored(post_id) is not None  # asking deletes nothing
    response = client.post(f"/post/{post_id}/delete?next=/explore")
    assert response.status_code == 303 and response.headers["Location"] == "/explore"
    assert stored(post_id) is None
    explore = client.get("/explore").text
    assert "Post deleted." in explore and "my first words" not in explore


def test_delete_with_htmx_takes_the_row_out(hx, mine):
    post_id = mine.id
    response = hx("POST", f"/post/{post_id}/delete", headers={"HX-Current-URL": "http://x/"})
    assert response.status_code == 200 and "<html" not in response.text
    # The row's place keeps the focus (the Delete link was there); the flash area says it.
    placeholder = re.search(rf'<div id="post-{post_id}"[^>]*></div>', response.text).group(0)
    assert 'tabindex="-1"' in placeholder and "autofocus" in placeholder
    assert 'hx-swap-oob="innerHTML:#flashes"' in response.text
    assert "Post deleted." in response.text
    assert stored(post_id) is None


def test_delete_on_the_posts_own_page_goes_home(client, hx, mine):
    post_id = mine.id
    response = hx(
        "POST",
        f"/post/{post_id}/delete",
        headers={"HX-Current-URL": f"http://localhost/post/{post_id}"},
    )
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/index"
    assert stored(post_id) is None
    assert "Post deleted." in client.get("/index").text  # said on the page it lands on


def test_delete_without_js_from_the_posts_own_page_goes_home(client, mine):
    post_id = mine.id
    response = client.post(f"/post/{post_id}/delete?next=/post/{post_id}?page=2")
    assert response.status_code == 303 and response.headers["Location"] == "/index"


def test_deleted_post_leaves_search_and_edited_post_is_found_by_its_new_words(
    client, alice, make_post
):
    gone = make_post(alice, "pineapple pizza")
    changed = make_post(alice, "strawberry tart")
    assert "pineapple" in client.get("/search?q=pineapple").text
    client.post(f"/post/{gone.id}/delete")
    client.post(f"/post/{changed.id}/edit", data={"post": "blueberry muffin"})
    assert "No post contains all of these words." in client.get("/search?q=pineapple").text
    assert "No post contains all of these words." in client.get("/search?q=strawberry").text
    assert "<mark>blueberry</mark> muffin" in client.get("/search?q=blueberry").text


def test_replies_stay_and_the_parents_count_follows(client, alice, bob, make_post):
    parent = make_post(bob, "a question")
    reply = posts.create(alice, "my answer", reply_to=parent)
    answer = posts.create(bob, "thanks", reply_to=reply)
    assert stored(parent.id).reply_count == 1 and stored(reply.id).reply_count == 1
    # The confirmation page says what becomes of the replies.
    page = client.get(f"/post/{reply.id}/delete").text
    assert "Its replies stay, shown as replying to a deleted post." in page
    client.post(f"/post/{reply.id}/delete")
    assert stored(parent.id).reply_count == 0  # the count on the post it replied to drops
    kept = stored(answer.id)
    assert kept is not None and kept.reply_to_id is None
    explore = client.get("/explore").text
    row = explore.split(f'id="post-{answer.id}"')[1].split("</article>")[0]
    assert "Replying to a deleted post" in row and "thanks" in row


# The language ------------------------------------------------------------------------------


def test_composer_offers_detection_unknown_and_the_languages(client, alice):
    page = client.get("/index").text
    assert '<label class="form-label" for="language">Language</label>' in page
    assert selected(page, "language") == ""
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page)
    assert options[:2] == [("", "Detect automatically"), ("und", "Unknown language")]
    names = [label for _value, label in options[2:]]
    assert len(names) == len(languages.SELECTABLE) and ("es", "Spanish") in options
    assert names == sorted(names, key=str.casefold)
    assert 'id="language-help">Detected from your text unless you choose one.</div>' in page


def test_languages_are_named_and_sorted_in_the_readers_locale(client, alice):
    page = client.get("/index", headers={"Accept-Language": "es"}).text
    options = re.findall(r'<option value="([a-z]{2,3})"[^>]*>([^<]*)</option>', page)
    assert ("es", "Español") in options and ("de", "Alemán") in options
    names = [label for _value, label in options]
    # Accents aside: "Árabe" comes among the A's, before "Armenio".
    assert names.index("Árabe") < names.index("Armenio") < names.index("Bengalí")


@pytest.mark.parametrize(
    ("choice", "language"), [("", "es"), ("und", None), ("pt", "pt"), ("gl", "gl")]
)
def test_composer_stores_the_chosen_language(client, alice, choice, language):
    response = client.post("/index", data={"post": SPANISH, "language": choice})
    assert response.status_code == 303
    assert db.session.scalar(select(Post.language)) == language


@pytest.mark.parametrize("choice", ["xx", "zxx", "english", "a\x00", "es-ES", "x" * 500])
def test_an_unlisted_language_is_a_visible_error(client, hx, alice, mine, choice):
    for response in (
        client.post("/index", data={"post": "hello there", "language": choice}),
        hx("POST", "/index", data={"post": "hello there", "language": choice}),
        client.post(f"/post/{mine.id}/edit", data={"post": "hello there", "language": choice}),
        hx("POST", f"/post/{mine.id}/edit", data={"post": "hello there", "language": choice}),
    ):
        assert response.status_code == 422
        assert "Choose a language from the list." in response.text
        assert re.search(
            r'<select aria-describedby="[^"]*error-1" aria-invalid="true"', response.text
        )
        assert "hello there" in response.text  # the text is kept
    assert db.session.scalars(select(Post.body)).all() == ["my first words"]


@pytest.mark.parametrize(
    ("stored_language", "preset"), [("es", "es"), (None, "und"), ("bcl", "bcl")]
)
def test_editing_presets_the_posts_language(client, mine, stored_language, preset):
    mine.language = stored_language
    db.session.commit()
    page = client.get(f"/post/{mine.id}/edit").text
    assert selected(page, f"edit-{mine.id}-language") == preset
    # Saved as it stands, it keeps that language (one detection cannot name: offered too).
    response = client.post(f"/post/{mine.id}/edit", data={"post": "new", "language": preset})
    assert response.status_code == 303 and stored(mine.id).language == stored_language


@pytest.mark.parametrize(("choice", "language"), [("", "es"), ("und", None), ("it", "it")])
def test_editing_sets_the_language(client, mine, choice, language):
    client.post(f"/post/{mine.id}/edit", data={"post": SPANISH, "language": choice})
    assert stored(mine.id).language == language


def test_a_wrongly_detected_language_can_be_fixed_without_changing_the_text(client, mine):
    client.post(f"/post/{mine.id}/edit", data={"post": "my first words", "language": "fr"})
    post = stored(mine.id)
    assert post.language == "fr" and post.edited_at is not None


def test_the_budget_check_says_what_detection_makes_of_the_text(hx, alice, mine):
    # The composer sends its form: the budget, and the language select's help out of band.
    response = hx("POST", "/post/check", data={"post": SPANISH, "language": ""})
    assert response.text.startswith('<span id="post-budget" class="post-budget">')
    assert '<div hx-swap-oob="innerHTML:#language-help">Detected: Spanish</div>' in response.text
    short = hx("POST", "/post/check", data={"post": "ok", "language": "en"})
    assert "No language detected." in short.text
    # An edit form's box: its own ids.
    edit = hx("POST", f"/post/check?editing={mine.id}", data={"post": SPANISH, "language": ""})
    assert edit.text.startswith(f'<span id="edit-{mine.id}-post-budget" ')
    assert f'hx-swap-oob="innerHTML:#edit-{mine.id}-language-help"' in edit.text
    spanish = hx(
        "POST",
        "/post/check",
        data={"post": SPANISH, "language": ""},
        headers={"Accept-Language": "es"},
    )
    assert "español</div>" in spanish.text  # the name in the reader's language


@pytest.mark.parametrize("editing", ["abc", "-1", str(2**40), "", "1%00"])
def test_odd_editing_values_are_the_composer(hx, alice, editing):
    response = hx("POST", f"/post/check?editing={editing}", data={"post": "hi", "language": ""})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.text.startswith('<span id="post-budget" ')


def test_edit_form_calls_its_own_budget(client, mine):
    page = client.get(f"/post/{mine.id}/edit").text
    box = re.search(r"<textarea[^>]*>", page).group(0)
    assert f'hx-post="/post/check?editing={mine.id}"' in box
    assert f'hx-target="#edit-{mine.id}-post-budget"' in box
    assert f'id="edit-{mine.id}-post-budget" class="post-budget">126 characters left' in page
    assert f'aria-describedby="edit-{mine.id}-post-budget-live"' in box
    # Its ids are its own: the composer's (post, language, submit) may share the page.
    assert f'for="edit-{mine.id}-post"' in page and f'id="edit-{mine.id}-submit"' in page
    assert 'name="post"' in box and 'name="language"' in page


class TestTranslateLink:
    @pytest.fixture
    def app_config(self, translator) -> dict:
        return translator.config()

    def test_the_translate_link_follows_the_chosen_language(self, client, mine):
        link = f'hx-post="/translate?post_id={mine.id}"'
        assert link not in client.get("/explore").text  # English, for an English reader
        client.post(f"/post/{mine.id}/edit", data={"post": "my first words", "language": "es"})
        assert link in client.get("/explore").text
        client.post(f"/post/{mine.id}/edit", data={"post": "my first words", "language": "und"})
        assert link not in client.get("/explore").text  # unknown: nothing to translate from


def test_selectable_languages_are_those_detection_answers_and_babel_names():
    codes = set(languages._identifier().nb_classes) - {languages.NO_LANGUAGE}
    named = {code for code in codes if code in Locale("en").languages}
    assert languages.SELECTABLE == named


def test_with_csrf_on_htmx_deletes_with_the_header_token(tmp_path):
    """As the browser sends it: the token in the header htmx sends from <body>."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        user = User(username="carol", email="carol@example.com")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.add(post := Post(body="soon gone", author=user, language="en"))
        db.session.commit()
        post_id = post.id
        client = app.test_client()
        login = client.get("/auth/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        client.post(
            "/auth/login", data={"username": "carol", "password": PASSWORD, "csrf_token": token}
        )
        page = client.get("/explore").text
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        refused = client.post(f"/post/{post_id}/delete", headers={"HX-Request": "true"})
        assert refused.status_code == 400 and db.session.get(Post, post_id) is not None
        done = client.post(
            f"/post/{post_id}/delete", headers={"HX-Request": "true", "X-CSRFToken": token}
        )
        assert done.status_code == 200
        db.session.expire_all()
        assert db.session.get(Post, post_id) is None
        db.session.remove()  # its transaction would hold up DROP TABLE on PostgreSQL
        db.drop_all()
