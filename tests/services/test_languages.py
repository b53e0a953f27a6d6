"""Post language detection: a language only when sure, since it decides the Translate link.

Posts come from `bench/languages.tsv`, where the accuracy and the threshold are measured.
"""

from __future__ import annotations

import pytest

from microblog.services import languages
from microblog.services.languages import detect

CLEAR = [
    ("en", "Just finished my first marathon!!! legs are dead 😂"),
    ("en", "thanks everyone for the kind words"),
    ("es", "la verdad es que el concierto estuvo increíble"),
    ("es", "Alguien sabe si abre el super mañana?"),
    ("fr", "merci pour vos messages, ça me touche beaucoup"),
    ("de", "Hat jemand das Spiel gestern gesehen?"),
    ("it", "il treno è in ritardo di 40 minuti, come sempre"),
    ("pt", "alguém recomenda um livro pra ler nas férias?"),
    (
        "pt",
        "Estamos contratando devs backend, pode ser remoto. Me chama no privado se tiver "
        "interesse, o time é muito bom e o café também ☕",
    ),
]

AMBIGUOUS = ["ok", "lol", "👍", "https://example.com", "@ana jaja", "haha", "😂😂😂"]


@pytest.mark.parametrize(("language", "text"), CLEAR)
def test_clear_posts_get_their_language(language: str, text: str) -> None:
    assert detect(text) == language


@pytest.mark.parametrize("text", ["", " ", "\n\t  "])
def test_empty_text_has_no_language(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_short_ambiguous_posts_have_no_language(text: str) -> None:
    """No Translate link for "ok" or an emoji: any language would be a guess."""
    assert detect(text) is None


def test_the_threshold_is_what_turns_a_guess_into_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """py3langid always guesses; only THRESHOLD stands between "lol" and a language."""
    monkeypatch.setattr(languages, "THRESHOLD", 0.0)
    assert detect("lol") is not None
    assert detect("") is None
    monkeypatch.setattr(languages, "THRESHOLD", 1.0)
    assert detect("thanks everyone for the kind words") is None


def test_same_post_same_answer() -> None:
    """Stored with the post, so a repeat must not flip (langdetect needed a fixed seed)."""
    texts = [text for _, text in CLEAR] + AMBIGUOUS + ["boa noite galera", "qué bueno"]
    first = [detect(text) for text in texts]
    for _ in range(3):
        assert [detect(text) for text in texts] == first


def test_no_linguistic_content_is_unknown() -> None:
    """The code "zxx" is no language to translate from: it is unknown (None)."""
    assert detect("gg wp gg wp") is None
