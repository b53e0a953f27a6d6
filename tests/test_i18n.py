"""Languages: English and a complete Spanish catalog, chosen by Accept-Language."""

from __future__ import annotations

from babel.messages.pofile import read_po

from microblog.config import ROOT

CATALOG = ROOT / "microblog/translations/es/LC_MESSAGES/messages.po"


def test_spanish_follows_accept_language(client, alice):
    page = client.get("/explore", headers={"Accept-Language": "es-ES,es;q=0.9"}).text
    assert '<html lang="es">' in page
    assert "Explorar" in page and "Salir" in page
    page = client.get("/explore", headers={"Accept-Language": "en-US"}).text
    assert "Explore" in page and "Logout" in page


def test_unknown_language_falls_back_to_english(client, alice):
    page = client.get("/explore", headers={"Accept-Language": "fr"}).text
    assert "Explore" in page


def test_spanish_catalog_is_complete_and_compiled():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    untranslated = [
        m.id
        for m in catalog
        if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    compiled = CATALOG.with_suffix(".mo")
    assert compiled.exists() and compiled.stat().st_mtime >= CATALOG.stat().st_mtime - 1


def test_template_gettext_gives_flask_babels_text(app):
    """`_()` in templates: the same text, escaping and formatting as Jinja + flask_babel."""
    from flask_babel import gettext

    page = app.jinja_env.from_string(
        "{{ _('Explore') }}|{{ _('Hi, %(username)s!', username=name) }}|{{ _('100%%') }}"
    )
    text = app.jinja_env.from_string(  # as in the plain-text emails
        "{% autoescape false %}{{ _('Explore') }} {{ _('Hi, %(username)s!', username=name) }}"
        "{% endautoescape %}"
    )
    for language in ("es", "en", "es"):  # a locale's texts never leak into another's
        with app.test_request_context(headers={"Accept-Language": language}):
            for _ in range(2):  # the second time from what was remembered
                hi = gettext("Hi, %(username)s!", username="<b>")
                expected = f"{gettext('Explore')}|{hi.replace('<b>', '&lt;b&gt;')}|100%"
                assert page.render(name="<b>") == expected
                assert text.render(name="<b>") == f"{gettext('Explore')} {hi}"
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert "Inicio" in app.jinja_env.from_string("{{ _('Home') }}").render()
