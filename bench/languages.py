"""Language detection on short posts: py3langid (the app's) against langdetect (the old one).

    python bench/languages.py [--repeat 7] [--misses]

Posts are short, and a language guess decides whether readers get a "Translate" link: a
wrong language shows a needless link (the harmful case), an unknown one (None) hides it.
So each detector is scored on labelled posts (`bench/languages.tsv`: right, unknown,
wrong) and on ambiguous ones ("ok", "👍", a URL) whose right answer is unknown or one of a
few languages; py3langid is also scored at several thresholds, which is how
`microblog.services.languages.THRESHOLD` was chosen.

langdetect is not a project dependency any more; without it only py3langid is measured.
To compare, install it in a scratch virtualenv, not the project's:

    python3 -m venv /tmp/ldvenv
    /tmp/ldvenv/bin/pip install -r requirements.txt langdetect
    /tmp/ldvenv/bin/pip install --no-deps -e .
    /tmp/ldvenv/bin/python bench/languages.py
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "languages.tsv"
UNKNOWN = "-"  # in the TSV: "no language" is a right answer
THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9)
MAX_POST = 140  # the post form's limit

Detect = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Sample:
    """A post and the answers that are right for it (None: unknown)."""

    accepted: frozenset[str | None]
    text: str

    @property
    def language(self) -> str | None:
        """The single expected language of a labelled post; None for an ambiguous one."""
        if len(self.accepted) == 1 and None not in self.accepted:
            return next(iter(self.accepted))
        return None


def load_samples(path: Path = DATA) -> list[Sample]:
    """The labelled set, checked so that a typo in the TSV fails loudly, not silently."""
    samples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        answer, sep, text = line.partition("\t")
        if not sep or not text.strip() or len(text) > MAX_POST:
            raise ValueError(f"{path.name}:{number}: expected 'answer<TAB>post' (≤ 140 chars)")
        accepted = frozenset(None if a == UNKNOWN else a for a in answer.split("|"))
        samples.append(Sample(accepted, text))
    return samples


@dataclass
class Score:
    """Counts of one detector's answers; labelled and ambiguous posts are kept apart."""

    labelled: int = 0
    right: int = 0
    unknown: int = 0
    wrong: int = 0
    ambiguous: int = 0
    ambiguous_ok: int = 0
    ambiguous_wrong: int = 0
    misses: list[tuple[str, str | None, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.labelled if self.labelled else 0.0


def score(detect: Detect, samples: list[Sample]) -> Score:
    result = Score()
    for sample in samples:
        answer = detect(sample.text)
        expected = sample.language
        if expected is not None:
            result.labelled += 1
            if answer == expected:
                result.right += 1
            elif answer is None:
                result.unknown += 1
            else:
                result.wrong += 1
        else:
            result.ambiguous += 1
            if answer in sample.accepted:
                result.ambiguous_ok += 1
            else:
                result.ambiguous_wrong += 1
        if answer not in sample.accepted:
            wanted = "|".join(sorted(a or UNKNOWN for a in sample.accepted))
            result.misses.append((wanted, answer, sample.text))
    return result


def per_post_us(detect: Detect, texts: list[str], repeat: int) -> float:
    """Median over `repeat` passes of the whole set, after one warm-up pass, per post."""
    for text in texts:
        detect(text)
    passes = timeit.repeat(lambda: [detect(t) for t in texts], number=1, repeat=repeat)
    return statistics.median(passes) / len(texts) * 1e6


@dataclass
class Detector:
    name: str
    version: str
    load_s: float  # import and model load, paid once per process on the first post
    detect: Detect


def py3langid_detector() -> Detector:
    """The app's own `detect`, so the bench measures exactly what posts get."""
    start = time.perf_counter()
    import py3langid.langid  # noqa: F401  (timed here, not with the app's own imports)

    import_s = time.perf_counter() - start
    sys.path.insert(0, str(ROOT))
    from microblog.services import languages

    languages._identifier.cache_clear()
    start = time.perf_counter()
    languages._identifier()
    load_s = import_s + time.perf_counter() - start
    return Detector("py3langid", importlib.metadata.version("py3langid"), load_s, languages.detect)


def langdetect_detector() -> Detector | None:
    """langdetect as the app called it before py3langid: seeded, errors as unknown."""
    if importlib.util.find_spec("langdetect") is None:
        return None
    start = time.perf_counter()
    from langdetect import DetectorFactory, LangDetectException
    from langdetect import detect as langdetect_detect
    from langdetect.detector_factory import init_factory

    init_factory()  # loads the 55 language profiles, which the first detect() would do
    load_s = time.perf_counter() - start
    DetectorFactory.seed = 0  # langdetect is random by default; the app made it repeatable

    def detect(text: str) -> str | None:
        try:
            language = langdetect_detect(text)
        except LangDetectException:
            return None
        return language if len(language) <= 5 else None

    return Detector("langdetect", importlib.metadata.version("langdetect"), load_s, detect)


@contextmanager
def threshold(value: float) -> Iterator[None]:
    """`languages.detect` at another threshold, restored afterwards."""
    from microblog.services import languages

    saved = languages.THRESHOLD
    languages.THRESHOLD = value
    try:
        yield
    finally:
        languages.THRESHOLD = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed passes over the set")
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args(argv)

    samples = load_samples()
    texts = [s.text for s in samples]
    detectors = [py3langid_detector()]
    old = langdetect_detector()
    if old is None:
        print("langdetect is not installed: only py3langid is measured (see this script's")
        print("docstring: `pip install langdetect` in a scratch virtualenv to compare).\n")
    else:
        detectors.append(old)

    from microblog.services import languages

    labelled = [s for s in samples if s.language is not None]
    codes = sorted({s.language for s in labelled if s.language})
    print(
        f"{len(labelled)} labelled posts ({', '.join(codes)}), "
        f"{len(samples) - len(labelled)} ambiguous; Python {platform.python_version()}; "
        f"py3langid threshold {languages.THRESHOLD}; {args.repeat} timed passes.\n"
    )

    scores = {d.name: score(d.detect, samples) for d in detectors}
    print(
        "| detector | accuracy | unknown | wrong language | ambiguous: right | ambiguous: wrong "
        "| µs per post | load (import + model) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for d in detectors:
        s = scores[d.name]
        us = per_post_us(d.detect, texts, args.repeat)
        print(
            f"| {d.name} {d.version} | {s.right}/{s.labelled} ({s.accuracy:.0%}) | {s.unknown} "
            f"| {s.wrong} | {s.ambiguous_ok}/{s.ambiguous} | {s.ambiguous_wrong} | {us:,.0f} "
            f"| {d.load_s * 1000:,.0f} ms |"
        )

    print("\nRight answers by language:\n")
    print("| language | " + " | ".join(d.name for d in detectors) + " |")
    print("|---|" + "---:|" * len(detectors))
    for code in codes:
        group = [s for s in labelled if s.language == code]
        cells = [f"{score(d.detect, group).right}/{len(group)}" for d in detectors]
        print(f"| {code} | " + " | ".join(cells) + " |")

    print("\npy3langid at other thresholds (unknown below it):\n")
    print(
        "| threshold | accuracy | unknown | wrong language | ambiguous: right | ambiguous: wrong |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for value in THRESHOLDS:
        with threshold(value):
            s = score(languages.detect, samples)
        print(
            f"| {value:.1f} | {s.right}/{s.labelled} ({s.accuracy:.0%}) | {s.unknown} "
            f"| {s.wrong} | {s.ambiguous_ok}/{s.ambiguous} | {s.ambiguous_wrong} |"
        )

    if args.misses:
        for d in detectors:
            print(f"\n{d.name}: answers that are not right (expected -> got):")
            for wanted, got, text in scores[d.name].misses:
                print(f"  {wanted:>8} -> {got or UNKNOWN:<4} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
