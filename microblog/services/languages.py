"""Which language a post is written in: py3langid, whose model ships in its wheel.

Short texts ("ok", "lol") get a guess with a low probability; below `THRESHOLD` the
language is unknown (None), so no "Translate" link is offered for a post we cannot
place. The threshold and the comparison with langdetect are in `bench/languages.py`.

The author may also say which language a post is in (the composer's select): any that
detection can answer and Babel can name (`SELECTABLE`), or "unknown" (`UNKNOWN`).
"""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale
from py3langid.langid import MODEL_FILE, LanguageIdentifier

THRESHOLD = 0.5
NO_LANGUAGE = "zxx"  # py3langid's "no linguistic content" ("gg wp gg wp")
UNKNOWN = "und"  # BCP 47's "undetermined": the select's "Unknown language", stored as None
DETECT_MAX = 1000  # characters looked at to guess a text's language as it is typed

# The languages py3langid's model answers (its classes but "zxx") that Babel names, all of
# them: a wrongly detected post is most often in a language close to a bigger one
# (Galician, Bosnian, Nynorsk), which a short list would leave out. Written out, so that a
# page with the composer does not load the model (a second and a half, once per process);
# tests/test_post_edits.py checks the list against the model.
SELECTABLE = frozenset(
    "ace af am an ar ary arz as az ba be bg bn br bs ca crh cs cy da de dz el en eo es et "
    "eu ext fa fi fo fr fy ga gd gl grc gu ha he hi hr ht hu hy id ig is it ja jv ka kab kk "
    "km kn ko ku ky la lb lg lij ln lo lt ltg lv mg mk ml mn mr ms mt my ne nl nn no nso oc "
    "om or pa pcm pl ps pt qu ro ru rw sa sdh se si sk sl sn so sq sr st sv sw ta te tg th "
    "tk tl tr tt ug uk ur uz vec vi vo wa wuu xh yo yue zh zu".split()
)


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


@cache
def _locale(locale: str) -> Locale:
    return Locale.parse(locale)


def name(code: str, locale: str) -> str:
    """`code`'s name as `locale` writes it (English if Babel has none there, else the code)."""
    return _locale(locale).languages.get(code) or _locale("en").languages.get(code) or code


@cache
def choices(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every SELECTABLE language, by name as a reader of `locale` looks it
    up: names start with a capital in a list (Spanish writes "español"), accents aside."""
    named = ((code, _capitalised(name(code, locale))) for code in SELECTABLE)
    return tuple(sorted(named, key=lambda choice: (_sort_key(choice[1]), choice[0])))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sort_key(text: str) -> str:
    """Letters without their accents, case-folded: "Árabe" sorts with the A's."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
