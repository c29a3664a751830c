"""The exercises' references and catalogued mistakes, as the tests build right and wrong answers from them.

A check refuses an answer that holds an exercise's reference or one of its catalogued mistakes, or calls one through
the registry while it runs (rounds 18 and 19): ``get_exercise(name).reference(...)`` would hand a learner the expected
result. So a test's answer made from one uses a copy taken here, at import: a new function with its code and closure,
and its module's names as they were then. (Round 20: a check counts every call of a function it watches made while the
answer's own code runs, so the copy must not reach the stand-ins that the check puts in the module's names.)
"""
import types

from course_utils import exercises as registry


def _copy(function: types.FunctionType) -> types.FunctionType:
    twin = types.FunctionType(function.__code__, dict(function.__globals__), function.__name__, function.__defaults__,
                              function.__closure__)
    twin.__kwdefaults__ = function.__kwdefaults__
    twin.__dict__.update(function.__dict__)
    return twin


_COPIES = {name: _copy(exercise.reference) for name, exercise in registry.all_exercises().items()}
_MISTAKES = {(name, m.name): _copy(m.answer) for name, exercise in registry.all_exercises().items()
             for m in exercise.mistakes if isinstance(m.answer, types.FunctionType)}


def reference_copy(name: str) -> types.FunctionType:
    """A copy of exercise ``name``'s reference, made before any check ran."""
    return _COPIES[name]


def mistake_copy(name: str, mistake: str) -> types.FunctionType:
    """A copy of the wrong answer catalogued as ``mistake`` beside exercise ``name``."""
    return _MISTAKES[name, mistake]
