"""The language of everything the course tells a learner: English, or Chinese with ``COURSE_LANG=zh``.

``t(english, **fields)`` gives the translation of an English message or template from the catalogue
``locale/<lang>.json`` (English text -> translation), formatted with ``fields``. English is the
default and passes through unchanged. ``cu.setup(lang="zh")``, the Chinese lessons' first call,
sets ``COURSE_LANG`` for the kernel and every process it starts.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
from pathlib import Path

LANGS = ("en", "zh")
LOCALE = Path(__file__).parent / "locale"


def lang() -> str:
    """The language in use: ``COURSE_LANG`` when it names one the course speaks, else English."""
    value = os.environ.get("COURSE_LANG", "").strip().lower()
    return value if value in LANGS else "en"


def set_lang(value: str) -> None:
    """Speak ``value`` from now on ('en' or 'zh'), here and in the processes started from here."""
    if value not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {value!r}")
    os.environ["COURSE_LANG"] = value


@contextlib.contextmanager
def speaking(value: str):
    """Speak ``value`` inside the ``with`` block only (grading judges in English, whatever the learner reads)."""
    before = os.environ.get("COURSE_LANG")
    set_lang(value)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("COURSE_LANG", None)
        else:
            os.environ["COURSE_LANG"] = before


@functools.lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, str]:
    """English message -> its translation, for ``language`` (empty for English)."""
    path = LOCALE / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if language != "en" else {}


def t(english: str, **fields) -> str:
    """``english`` in the current language (English where the catalogue has no entry), with ``fields`` filled in."""
    text = catalogue(lang()).get(english, english)
    return text.format(**fields) if fields else text
