"""The registry of exercises: one module per lesson topic, each with an EXERCISES dict.

``base`` holds the words they are declared with; it is not a topic.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import Exercise

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
    return found


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``, with a clear error for a typo."""
    if not isinstance(name, str):
        raise TypeError(f"an exercise name is a string, got {type(name).__name__}")
    exercises = all_exercises()
    if name not in exercises:
        raise ValueError(f"no exercise called {name!r}; known exercises: {', '.join(sorted(exercises))}")
    return exercises[name]
