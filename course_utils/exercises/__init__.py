"""The registry of exercises: one module per lesson topic, each with an EXERCISES dict.

``base`` holds the words they are declared with; it is not a topic. In a graded release
(``course_utils.teacher.release``) ``recorded.json`` sits beside this file: the exercises it names
get their public cases, and the reference's and each mistake's outcomes on them, from there.
"""
from __future__ import annotations

import builtins
import dataclasses
import importlib
import json
import pkgutil
from functools import lru_cache
from pathlib import Path

from ..plaindata import from_plain
from .base import Case, Exercise, Recorded

RECORDED = Path(__file__).with_name("recorded.json")

TOPICS = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"))


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of every lesson, by name."""
    found: dict[str, Exercise] = {}
    for topic in TOPICS:
        exercises = importlib.import_module(f"{__name__}.{topic}").EXERCISES
        clash = found.keys() & exercises.keys()
        if clash:
            raise RuntimeError(f"exercise name(s) {sorted(clash)} in {topic} are already used by another lesson")
        found.update(exercises)
    for name, recorded in _recorded().items():
        found[name] = _from_record(found[name], recorded)
    return found


@lru_cache(maxsize=1)
def _recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8")) if RECORDED.exists() else {}


def _from_record(exercise: Exercise, recorded: dict) -> Exercise:
    """``exercise`` as the graded release has it: public cases and recorded outcomes, no code of the answer."""
    cases = tuple(Case(tuple(from_plain(c["args"])), from_plain(c["kwargs"]), c["label"], _errors(c["raises"]),
                       c["points"], c["matched"]) for c in recorded["cases"])
    mistakes = tuple(dataclasses.replace(m, answer=Recorded(tuple(recorded["mistakes"][m.name])))
                     for m in exercise.mistakes if m.name in recorded["mistakes"])
    return dataclasses.replace(exercise, reference=Recorded(tuple(recorded["reference"])),
                               cases=lambda: cases, mistakes=mistakes)


def _errors(names: str | list[str] | None) -> type | tuple | None:
    """The built-in exception(s) a recorded case declares, from their names."""
    if isinstance(names, list):
        return tuple(getattr(builtins, name) for name in names)
    return getattr(builtins, names) if names else None


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``, with a clear error for a typo."""
    if not isinstance(name, str):
        raise TypeError(f"an exercise name is a string, got {type(name).__name__}")
    exercises = all_exercises()
    if name not in exercises:
        raise ValueError(f"no exercise called {name!r}; known exercises: {', '.join(sorted(exercises))}")
    return exercises[name]
