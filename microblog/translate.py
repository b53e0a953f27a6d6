"""`flask translate init LANG | update | compile`: the Babel catalog workflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask

from microblog.config import ROOT

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
POT = ROOT / "messages.pot"


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
        raise click.ClickException(f"pybabel {args[0]} failed")


def _extract() -> None:
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-o", str(POT), ".")


def init_app(app: Flask) -> None:
    @app.cli.group()
    def translate() -> None:
        """Translation and localisation commands."""

    @translate.command()
    @click.argument("lang")
    def init(lang: str) -> None:
        """Start a catalog for LANG."""
        _extract()
        _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang)
        POT.unlink()

    @translate.command()
    def update() -> None:
        """Update every catalog from the source."""
        _extract()
        _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS))
        POT.unlink()

    @translate.command(name="compile")
    def compile_catalogs() -> None:
        """Compile every catalog (.po to .mo)."""
        if TRANSLATIONS.exists():
            _pybabel("compile", "-d", str(TRANSLATIONS))
