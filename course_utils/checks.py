"""Exercise checks that never block the learner.

``check(name, answer)`` runs the learner's answer on every test case of the
exercise ``name`` and prints a friendly verdict. It returns the learner's
answer when it passes and the reference implementation otherwise, so the rest
of the notebook keeps running. In strict mode (solutions/ and CI) a failure
raises ``ExerciseFailed`` instead.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np


class ExerciseFailed(AssertionError):
    """Raised in strict mode when an answer does not pass its check."""


class Mismatch(Exception):
    """Raised by a comparison to say how an answer differs from the expected one."""


@dataclass(frozen=True)
class Case:
    """One input to try: positional ``args``, keyword ``kwargs`` and a short ``label``.

    ``raises`` declares the error a correct answer raises for this input (e.g. ``ValueError``).
    A reference that raises on a case that declares nothing is a broken check, never a pass.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str = ""
    raises: type | tuple | None = None

    def describe(self) -> str:
        parts = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        text = ", ".join(parts)
        return f"{self.label}: ({text})" if self.label else f"({text})"


@dataclass(frozen=True)
class Mistake:
    """A realistic wrong answer, kept beside its exercise as data.

    ``answer`` is what a learner might write (usually a function); ``message`` is the one plain
    sentence shown when a learner's result matches this mistake ("" for the generic message only).
    """

    name: str
    answer: Any
    message: str = ""


@dataclass(frozen=True)
class Exercise:
    """What an exercise expects.

    ``cases`` returns the inputs to try. ``run(answer, case)`` turns an answer
    into a result (default: call it with the case's arguments). ``compare``
    raises ``Mismatch`` when a result differs from the reference's.
    """

    reference: Any
    cases: Callable[[], Sequence[Case]]
    hint: str
    run: Callable[[Any, Case], Any] | None = None
    compare: Callable[[Any, Any], None] | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    mistakes: tuple[Mistake, ...] = ()
    time_limit: float = 5.0


def strict_mode() -> bool:
    """Strict when COURSE_STRICT says so, else when running inside solutions/."""
    flag = os.environ.get("COURSE_STRICT", "").strip().lower()
    if flag in {"1", "true", "yes", "on"}:
        return True
    if flag in {"0", "false", "no", "off"}:
        return False
    return Path.cwd().name == "solutions"


def check(name: str, answer: Any, *, strict: bool | None = None) -> Any:
    """Check the learner's ``answer`` to exercise ``name``; return what to use next."""
    from .exercises import get_exercise

    exercise = get_exercise(name)
    strict = strict_mode() if strict is None else strict
    cases = list(exercise.cases())
    problem = _find_problem(exercise, answer, cases)
    if problem is None:
        print(f"✅ {name}: correct on all {len(cases)} test inputs. Well done!")
        return answer
    if problem is NOT_DONE:
        if strict:
            raise ExerciseFailed(f"{name}: the exercise still raises NotImplementedError")
        print(f"✏️ {name}: not done yet. Write your code in place of `raise NotImplementedError(...)` and run "
              "the cell again.\n   Until then the notebook uses the reference solution, so everything below still runs.")
        return exercise.reference
    message = f"{problem}\n   Hint: {exercise.hint}"
    if strict:
        raise ExerciseFailed(f"{name}: {message}")
    print(f"❌ {name}: {message}\n   The notebook goes on with the reference solution for now.")
    return exercise.reference


NOT_DONE = "not done yet"


def _find_problem(exercise: Exercise, answer: Any, cases: Sequence[Case]) -> str | None:
    """Return a friendly description of the first problem, or None if all cases pass."""
    run = exercise.run or _call
    compare = exercise.compare or (lambda got, want: compare_values(got, want, exercise.rtol, exercise.atol))
    for case in cases:
        try:
            expected, expected_error = run(exercise.reference, copy.deepcopy(case)), None
        except Exception as exc:  # this input is meant to be rejected
            expected, expected_error = None, type(exc)
        try:
            got = run(answer, copy.deepcopy(case))
        except NotImplementedError:
            return NOT_DONE
        except Exception as exc:  # learner code may fail in any way; report, never crash
            if expected_error is not None and isinstance(exc, expected_error):
                continue
            return f"raised {type(exc).__name__}: {exc}\n   on input {case.describe()}"
        if expected_error is not None:
            return (f"should raise {expected_error.__name__} for this input, but returned {_short(got)}"
                    f"\n   on input {case.describe()}")
        try:
            compare(got, expected)
        except Mismatch as mismatch:
            return f"{mismatch}\n   on input {case.describe()}"
        except Exception as exc:  # a result that cannot even be compared is still just a wrong answer
            return f"returned a result that cannot be compared ({type(exc).__name__}: {exc})\n   on input {case.describe()}"
    return None


def _call(answer: Any, case: Case) -> Any:
    if not callable(answer):
        raise TypeError(f"expected a function, got {type(answer).__name__}")
    return answer(*case.args, **case.kwargs)


def to_numpy(value: Any) -> Any:
    """Turn tensors (torch, TensorFlow) into numpy arrays; leave other values alone."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return value.numpy()
    return value


def compare_values(got: Any, want: Any, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Raise ``Mismatch`` with a clear message unless ``got`` matches ``want``."""
    got, want = to_numpy(got), to_numpy(want)
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            raise Mismatch(f"expected {len(want)} results (a {type(want).__name__}), got {_short(got)}")
        for i, (g, w) in enumerate(zip(got, want)):
            try:
                compare_values(g, w, rtol, atol)
            except Mismatch as m:
                raise Mismatch(f"result #{i + 1}: {m}") from None
        return
    if got is None:
        raise Mismatch("the function returned None. Did you forget `return`?")
    try:
        got_arr = np.asarray(got)
    except Exception:
        raise Mismatch(f"expected a number or array, got {type(got).__name__}") from None
    want_arr = np.asarray(want)
    if got_arr.dtype.kind not in "biuf":
        raise Mismatch(f"expected numbers, got values of type {got_arr.dtype} ({_short(got)})")
    if np.isscalar(want) or want_arr.ndim == 0:
        if got_arr.size != 1:
            raise Mismatch(f"expected a single number, got an array of shape {got_arr.shape}")
        got_arr = got_arr.reshape(())
    if got_arr.shape != want_arr.shape:
        raise Mismatch(f"wrong shape: expected {want_arr.shape}, got {got_arr.shape}")
    if want_arr.dtype.kind == "f" and got_arr.dtype.kind != "f":
        raise Mismatch(f"expected floating-point values, got dtype {got_arr.dtype}")
    bad_finite = ~np.isfinite(got_arr.astype(float)) & np.isfinite(want_arr.astype(float))
    if bad_finite.any():
        idx = _first(bad_finite)
        raise Mismatch(f"got a non-finite value (NaN or inf){_at(idx)}: expected {_item(want_arr, idx)}, "
                       f"got {_item(got_arr, idx)}")
    close = np.isclose(got_arr.astype(float), want_arr.astype(float), rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        idx = _first(~close)
        raise Mismatch(f"wrong value{_at(idx)}: expected {_item(want_arr, idx)}, got {_item(got_arr, idx)}")


def _first(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()


def _at(idx: tuple) -> str:
    return f" at index {idx if len(idx) > 1 else idx[0]}" if idx else ""


def _item(arr: np.ndarray, idx: tuple) -> str:
    return f"{arr[idx]:.6g}" if arr.dtype.kind == "f" else str(arr[idx])


def _short(value: Any, limit: int = 60) -> str:
    try:
        value = to_numpy(value)
    except Exception:  # e.g. a tensor type numpy cannot hold
        return f"a {type(value).__name__}"
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, threshold=6, separator=", ").replace("\n", "")
        text = f"array{value.shape} {text}" if value.size > 6 or len(text) > limit else text
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
