"""The pip requirements files say what uv.lock says: `make lock` writes them from it."""

from __future__ import annotations

import re
import tomllib

from microblog.config import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", re.M)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {package.lower(): version for package, version in PIN.findall(text)}


def test_requirements_files_match_the_lock():
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"].lower(): p["version"] for p in lock["package"] if p["name"] != "microblog"}
    dev, app = pins("requirements-dev.txt"), pins("requirements.txt")
    assert dev and app and set(app) <= set(dev)
    for package, version in dev.items():
        assert locked.get(package) == version, package
    assert {"flask", "sqlalchemy", "pytest", "playwright"} <= set(dev)
