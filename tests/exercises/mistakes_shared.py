"""What the attacks on the exercise checks share (test_mistakes_*.py, one file per lesson): the friendly mode,
the course's sigmoid as a copy, and ways to judge an answer."""
from __future__ import annotations


import inspect

import pytest

from course_utils import exercises as registry
from course_utils.checks import judge, PASSED, WRONG
from references import reference_copy


sigmoid = reference_copy("sigmoid")   # the course's sigmoid: a copy, as the sigmoid check refuses the function itself


@pytest.fixture(autouse=True)
def friendly(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    monkeypatch.chdir(tmp_path)


_LIBRARIES = ("scipy", "torch", "tensorflow", "keras", "sklearn", "special.", "expit")


def _passes(name, answer):
    """A right answer passes; one that calls a library other than numpy is refused by the numpy-only exercises
    (lessons 00 to 04; round 39 made lessons 01 and 02 so, whose older tests hold such right answers)."""
    verdict = judge(registry.get_exercise(name), answer)
    if verdict.kind != PASSED and "written with numpy and Python alone" in verdict.text:
        try:
            source = inspect.getsource(answer)
        except (OSError, TypeError):
            source = ""
        assert any(word in source for word in _LIBRARIES), verdict.text   # refused for a library it does call
        return
    assert verdict.kind == PASSED, verdict.text


def _a_library_refused(text):
    """Refused by name as a library's version of the exercise, or (lessons 03 and 04, round 28) as a call into a
    library other than numpy: a library imported for the first time inside the answer can use up a case's time before
    the named call."""
    return ("a library function that computes this exercise's result" in text or "from the library" in text
            or "which looks a library up while it runs" in text   # round 32: looked up in sys.modules
            or "the calls of a trace function are not seen" in text   # sys.settrace: a trace function's calls
            or "which looks at or changes what runs around it" in text)   # round 35: saving sys.getprofile()


def _refused_as_the_course_s_own(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "the course's own version of this exercise" in verdict.text, verdict.text


def catalogued(exercise: str, mistake: str):
    """The wrong answer catalogued as ``mistake`` beside ``exercise``."""
    return next(m.answer for m in registry.get_exercise(exercise).mistakes if m.name == mistake)
