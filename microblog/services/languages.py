"""Which language a post is written in: py3langid, whose model ships in its wheel.

Short texts ("ok", "lol") get a guess with a low probability; below `THRESHOLD` the
language is unknown (None), so no "Translate" link is offered for a post we cannot
place. The threshold and the comparison with langdetect are in `bench/languages.py`.
"""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

THRESHOLD = 0.5
NO_LANGUAGE = "zxx"  # py3langid's "no linguistic content" ("gg wp gg wp")


@cache
def _identifier() -> LanguageIdentifier:
    """Loaded once per process, on the first post (it takes most of a second)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when unsure."""
    if not text.strip():
        return None
    language, probability = _identifier().classify(text)
    if probability < THRESHOLD or language == NO_LANGUAGE:
        return None
    return language
