"""Compare two bench/run.py reports of the same database at two scales (SPEC 23's targets).

    python bench/scaling.py sqlite-1.md sqlite-10.md

Reads each report's table (the req/s of every row and of its ceiling, from the same run),
and prints a Markdown table: each row's ratio to its ceiling at both scales and how much
of it is kept at the larger one (target: at least KEEP), then the comparisons made within
the larger run: the wide reader's home against the ordinary reader's, the deep cursor page
against explore's first, and the new-posts poll (204) against the unchanged badge poll.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

KEEP = 0.8  # each page row at scale N keeps this much of its ratio at scale 1
CEILINGS = {"string": "ceiling: short string", "template": "ceiling: small template"}
# Comparisons within one run: (row, the row it is measured against, the least ratio).
WITHIN = (
    ("home (wide reader)", "home `/index`", 0.5),
    ("explore deep (5,000 items, by cursor)", "explore `/explore`", 0.8),
    ("new-posts poll, none new (204)", "badge unchanged (204)", 0.9),
    ("new-posts poll, wide reader (204)", "badge unchanged (204)", 0.9),
)
# A table line: its name, its req/s, and which ceiling its ratio is to (none: a ceiling).
_ROW = re.compile(
    r"^\| (?P<name>[^|]+?) \| (?P<rps>[\d.]+) \|.*?\| "
    r"(?:[\d.]+ × (?P<ceiling>\w+)|1 \(ceiling\)) \|"
)


def read_report(text: str) -> dict[str, float]:
    """Each measured row's ratio to its ceiling (req/s over the ceiling's req/s)."""
    rps: dict[str, float] = {}
    ceiling_of: dict[str, str] = {}
    for line in text.splitlines():
        if match := _ROW.match(line):
            rps[match["name"]] = float(match["rps"])
            if match["ceiling"]:
                ceiling_of[match["name"]] = CEILINGS[match["ceiling"]]
    return {name: rps[name] / rps[ceiling] for name, ceiling in ceiling_of.items()}


def compare(small: dict[str, float], large: dict[str, float]) -> str:
    lines = [
        "| row | ratio at 1× | ratio at N× | N× / 1× | target |",
        "|---|---:|---:|---:|---|",
    ]
    for name, ratio in small.items():
        if name not in large:
            continue
        kept = large[name] / ratio
        verdict = "ok" if kept >= KEEP else "MISS"
        lines.append(
            f"| {name} | {ratio:.4f} | {large[name]:.4f} | {kept:.2f} | {verdict} (≥ {KEEP}) |"
        )
    lines += ["", "| at N× | against | ratio | target |", "|---|---|---:|---|"]
    for name, other, least in WITHIN:
        if name in large and other in large:
            ratio = large[name] / large[other]
            verdict = "ok" if ratio >= least else "MISS"
            lines.append(f"| {name} | {other} | {ratio:.2f} | {verdict} (≥ {least}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("small", type=Path, help="the report at scale 1")
    parser.add_argument("large", type=Path, help="the report at the larger scale")
    args = parser.parse_args(argv)
    small, large = (read_report(path.read_text()) for path in (args.small, args.large))
    print(compare(small, large))
    return 0


if __name__ == "__main__":
    sys.exit(main())
