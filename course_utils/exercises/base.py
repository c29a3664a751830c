"""The words an exercise is declared with: ``Case``, ``Mistake``, ``Exercise`` and the comparisons.

They sit below both the exercise declarations (``exercises/<topic>.py``) and the engine that runs
them (``course_utils.checks``), so neither imports the other to use them.
"""
from __future__ import annotations

import _imp
import _signal
import _thread
import builtins
import collections
import contextlib
import copy
import contextvars
import ctypes
import dis
import fnmatch
import functools
import gc
import importlib
import importlib.machinery
import importlib.util
import inspect
import random
import site
import sys
import sysconfig
import threading
import traceback
import types
import typing
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..guard import guarded, listen, not_cut
from ..i18n import t


class Mismatch(Exception):
    """Raised by a comparison to say how an answer differs from the expected one."""


@dataclass(frozen=True)
class Case:
    """One input to try: positional ``args``, keyword ``kwargs`` and a short ``label``.

    ``raises`` declares the error a correct answer raises for this input (e.g. ``ValueError``).
    A reference that raises on a case that declares nothing is a broken check, never a pass.
    ``points`` is the case's weight in partial credit: a graded answer scores the exercise's
    points times the weight of the cases it gets right over the weight of all its cases.
    """

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str = ""
    raises: type | tuple | None = None
    points: float = 1.0
    matched: bool = True   # whether a wrong result here is matched against the catalogued mistakes (False for a
    # costly case that every one of them fails before: matching would run them all there and name none)

    def describe(self) -> str:
        parts = [short(a) for a in self.args] + [f"{k}={short(v)}" for k, v in self.kwargs.items()]
        text = ", ".join(parts)
        return t("{label}: ({inputs})", label=t(self.label), inputs=text) if self.label else f"({text})"


@dataclass(frozen=True)
class Mistake:
    """A realistic wrong answer, kept beside its exercise as data.

    ``answer`` is what a learner might write (usually a function); ``message`` is the one plain
    sentence shown when a learner's result matches this mistake ("" for the generic message only).
    """

    name: str
    answer: Any
    message: str = ""


GENERATED = "a generated input"


def generated(draw: Callable[[np.random.Generator], Case], count: int, seed: int) -> list[Case]:
    """``count`` cases drawn by ``draw(rng)`` from a generator seeded with ``seed``.

    Hand-picked cases show the edge cases a learner should think of; drawn ones vary what the
    hand-picked ones share by accident (dtypes, shapes, signs, where the maximum sits, how the
    arguments are passed), so that no answer passes by relying on it. The seed is fixed: every
    run, every learner and the grader see the same inputs.
    """
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        case = draw(rng)
        cases.append(case if case.label else Case(case.args, case.kwargs, GENERATED, case.raises, case.points))
    return cases


def in_turn(draw: Callable[[np.random.Generator, Any], Case], kinds) -> Callable[[np.random.Generator], Case]:
    """A draw function for ``generated`` that draws ``draw(rng, kind)`` for each of ``kinds`` in turn, so
    that every kind is tried whatever the seed."""
    pending = iter(kinds)
    return lambda rng: draw(rng, next(pending))


def draw_shape(rng: np.random.Generator, ndim: int, low: int = 1, high: int = 7) -> tuple[int, ...]:
    """A shape of ``ndim`` sizes, each from ``low`` to ``high`` inclusive."""
    return tuple(int(n) for n in rng.integers(low, high + 1, size=ndim))


def draw_floats(rng: np.random.Generator, shape: tuple[int, ...], scale: float | None = None) -> np.ndarray:
    """Normal float64 values of ``shape`` (never whole numbers), with a ``scale`` drawn from 0.1 to 10 unless given."""
    scale = float(np.exp(rng.uniform(np.log(0.1), np.log(10)))) if scale is None else scale
    return rng.normal(scale=scale, size=shape)


def draw_call(rng: np.random.Generator, names: Sequence[str], values: Sequence, defaults: dict | None = None
              ) -> tuple[tuple, dict]:
    """(args, kwargs) of a call with ``values`` for the parameters ``names``: the first few by position (none,
    some or all), the rest by keyword; a keyword argument equal to its default in ``defaults`` is left out half
    of the time, so that defaults are used as well as overridden."""
    defaults = defaults or {}
    cut = int(rng.integers(0, len(names) + 1))
    args, kwargs = tuple(values[:cut]), dict(zip(names[cut:], values[cut:]))
    if rng.random() < 0.5:
        kwargs = {k: v for k, v in kwargs.items() if not (k in defaults and defaults[k] == v)}
    return args, kwargs


RANDOM_GENERATORS = ("numpy", "python", "torch")  # the global random generators, by name

HIDDEN = "not in the graded release: the grader judges this exercise"


@dataclass(frozen=True)
class Recorded:
    """A function the graded release leaves out: what it gave on each public case, as plain data.

    ``outcomes[i]`` is ``course_utils.marking.plain_outcome`` of case ``i``; calling it raises.
    """

    outcomes: tuple

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(HIDDEN)


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
    points: float = 1  # what the exercise is worth in a gradebook (course_utils.grade)
    untouched_random: tuple[str, ...] = RANDOM_GENERATORS  # the global random generators that a right answer
    # leaves alone, and a checked one must (``random_left_alone``); torch's is used by dropout and new layers

    def __post_init__(self):
        codes = frozenset(c for value in (self.reference, *(m.answer for m in self.mistakes)) for c in _codes(value))
        object.__setattr__(self, "_own_codes", codes)   # kept: a check puts stand-ins in its fields (``judging``)
        CHECK_CODES.update(codes)


CHECK_CODES: set = set()   # the code of every exercise's reference and catalogued mistakes (``answer_on_stack``)
JUDGED: list = []   # the code of the reference and catalogued mistakes of the exercise judged now (``judging``)
ANSWER_MODULES: list = []   # the globals the answer runs in (``_module_of``), while a check runs it


def judging(exercise: Exercise, run: Callable[[], Any]) -> Any:
    """``run()``, with ``answer_on_stack`` ending its walk only at ``exercise``'s own reference and catalogued mistakes.

    Round 25 (r246 E1): it ended at any exercise's, so a refused function called for the answer by another
    exercise's catalogued function (lesson 05's ``_accuracy_renamed`` for ``torch_accuracy``) went unseen."""
    JUDGED.append(exercise._own_codes)
    try:
        return run()
    finally:
        JUDGED.pop()


def _codes(value: Any) -> list:
    """The code objects of a function, a functools.partial's function, or a class's own methods."""
    value = value.func if isinstance(value, functools.partial) else value
    functions = vars(value).values() if isinstance(value, type) else [value]
    return [f.__code__ for f in functions if isinstance(f, types.FunctionType)]


class InputChanged(Exception):
    """The learner's function modified an input array in place."""


INPUT_CHANGED = ("your function changed its input array in place: it wrote into an array it was given (`a[...] = ...`, "
                 "`a += ...` or `out=a`), and the caller still needs it as it was. Work on a new array instead: "
                 "`a = a.copy()` first, or `a = a + ...`, which makes a new array where `a += ...` does not")


def input_changed() -> InputChanged:
    """The error for an answer that changed its input in place, in the learner's language."""
    return InputChanged(t(INPUT_CHANGED))


_ATOMS = frozenset({int, float, bool, complex, str, bytes, type(None), type, types.FunctionType,
                    types.BuiltinFunctionType})


def copied(value: Any) -> Any:
    """``copy.deepcopy(value)``, several times faster for what a case holds (a check copies its case before each of
    up to 65 calls): a ``Case``, tuples, lists, dicts and plain numpy arrays are copied here, each object once (two
    arguments that are one array stay one array), and anything else by ``copy.deepcopy`` with the same memo."""
    return _unwatched(_copy, value, {})


def _copy(value: Any, memo: dict) -> Any:
    kind = type(value)
    if kind in _ATOMS:
        return value
    found = memo.get(id(value), memo)
    if found is not memo:
        return found
    if kind is np.ndarray and not value.dtype.hasobject:
        new = memo[id(value)] = _copy_keeping_strides(value)
    elif kind is tuple:
        new = memo[id(value)] = tuple(_copy(item, memo) for item in value)
    elif kind is list:
        new = memo[id(value)] = []
        new.extend(_copy(item, memo) for item in value)
    elif kind is dict:
        new = memo[id(value)] = {}
        new.update((_copy(key, memo), _copy(item, memo)) for key, item in value.items())
    elif kind is Case:
        new = memo[id(value)] = object.__new__(Case)
        new.__dict__.update((name, _copy(item, memo)) for name, item in value.__dict__.items())
    else:
        new = copy.deepcopy(value, memo)
    return new


def _copy_keeping_strides(array: np.ndarray) -> np.ndarray:
    """A copy laid out in memory as ``array`` is: a view with gaps (``rgb[:, :, c]``, ``x[::-1]``) stays one.
    Round 35 (r356 E2): ``copy(order="K")`` made it row by row, so conv2d_valid's drawn strided images reached the
    answer contiguous, and windows computed from the shape alone passed."""
    if array.flags.c_contiguous or array.flags.f_contiguous or not array.size or 0 in array.strides:
        return array.copy(order="K")
    spans = [(n - 1) * stride for n, stride in zip(array.shape, array.strides)]
    low = array.ctypes.data + sum(span for span in spans if span < 0)
    size = sum(abs(span) for span in spans) + array.itemsize
    if size < array.nbytes:   # elements that share memory (sliding windows): copied apart, as before
        return array.copy(order="K")
    memory = bytearray((ctypes.c_char * size).from_address(low))
    return np.ndarray(array.shape, array.dtype, memory, array.ctypes.data - low, array.strides)


_PLAIN_KINDS = (int, float, bool, complex, str, bytes, type(None),
                np.float64, np.float32, np.int64, np.int32, np.bool_)


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only what a check's case is made of: exact tuples, lists, dicts with string keys,
    ``Case``s, numbers, strings, exception classes and numpy arrays of numbers. Copying or comparing it runs no code of
    an answer's (no __deepcopy__, __eq__ or __hash__ of its own): only ``is`` tests of exact types are made here."""
    kind = type(value)
    if any(kind is plain for plain in _PLAIN_KINDS):
        return True
    if kind is np.ndarray:
        return not value.dtype.hasobject
    if kind is tuple or kind is list:
        return all(_plain(item) for item in value)
    if kind is dict or kind is Case:
        items = value if kind is dict else vars(value)
        return all(type(key) is str and _plain(item) for key, item in items.items())
    return kind is type and issubclass(value, BaseException)


def _unwatched(work: Callable, *values: Any) -> Any:
    """``work(*values)`` (the engine's ``_copy`` or ``_same``), with the profile of the numpy-only watch
    (``watching_libraries``) off while it runs where ``values`` are plain (``_plain``). Round 30: the engine's copies
    and comparisons of a case, up to 65 a case, made most of the 1.4 million profile events of one right check of
    sgd_step. Anything else (an answer's result of its own kind) is copied and compared watched."""
    if work is not _copy and work is not _same:
        raise ValueError("only the engine's copies and comparisons run unwatched")
    profile = sys.getprofile()
    if profile is not None:
        sys.setprofile(None)
        try:
            if all(_plain(value) for value in values):
                return work(*values)
        finally:
            sys.setprofile(profile)
    return work(*values)


def to_numpy(value: Any) -> Any:
    """Turn tensors (torch, TensorFlow) into numpy arrays; leave other values alone."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return value.numpy()
    return value


def same_arrays(a: Any, b: Any) -> bool:
    """True when every numpy array, torch tensor or number or string inside ``a`` equals its counterpart in ``b``
    (NaN equal to NaN; a torch tensor's requires_grad flag too); other objects are not compared."""
    return _unwatched(_same, a, b)


def _same(a: Any, b: Any) -> bool:
    if hasattr(a, "detach") and hasattr(b, "detach"):  # torch tensors: compare their values and gradient flag
        if getattr(a, "requires_grad", False) != getattr(b, "requires_grad", False):
            return False  # e.g. logits.requires_grad_(False), which raises on a model's output (not a leaf)
        a, b = to_numpy(a), to_numpy(b)
    if isinstance(a, Case):
        return _same(a.args, b.args) and _same(list(a.kwargs.values()), list(b.kwargs.values()))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, (int, float, str)):   # e.g. the items of a list the answer was given
        return type(a) is type(b) and (a == b or a != a and b != b)
    return True


SHARES_INPUT = ("a returned array is one of the input arrays itself (or a view of it), as when an input comes back "
                "unchanged because nothing changes it (z with no negative value, w on a zero gradient) or the caller's "
                "grad is returned as the new velocity: a later write into one of them (`w -= ...`, a gradient buffer "
                "filled in place) changes the other too. Return a new array even where the values stay the same "
                "(np.maximum(0.0, z) and w - lr * grad make one)")
KEPT_RESULT = ("a later call returned an array in the memory of an earlier call's result: your function writes its "
               "results into arrays it keeps between calls (a buffer, out=..., several used in turn), so each call "
               "overwrites what an earlier one returned (f(z + h) - f(z - h) gives 0; the weights the caller kept from "
               "one step change at the next). Return new arrays at every call")
READ_ONLY_RESULT = ("a returned array is read-only (its writeable flag is off, as for np.broadcast_to's views), so the "
                    "caller cannot update it in place (`w -= ...` raises ValueError): return an ordinary array, as "
                    "`w - lr * grad` gives")
CHANGED_LATER = ("later calls changed the arrays that an earlier call was given or returned: your function keeps them "
                 "between calls and writes into them, so the caller's arrays change behind its back. Keep nothing "
                 "between calls")
OTHER_VALUES = ("a later call on the same inputs gave other values: your function keeps a state of its own between "
                "calls (a counter, a cache, a velocity or moments of its own), so its result depends on the calls "
                "before. Compute the result from the arguments only")
INPUT_MADE_READ_ONLY = ("your function made one of the caller's arrays read-only (its writeable flag is now off), so "
                        "the caller's own `w -= ...` raises ValueError afterwards: leave the input arrays as they are")


def _arrays(value: Any) -> list:
    """The numpy arrays of a result or a case: the value itself, the items of a tuple or list, a case's arguments."""
    if isinstance(value, Case):
        value = (*value.args, *value.kwargs.values())
    return [a for a in (value if isinstance(value, (tuple, list)) else (value,)) if isinstance(a, np.ndarray)]


try:  # numpy 2 moved it
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:  # numpy 1
    _byte_bounds = np.byte_bounds


def memory_overlaps(first: Sequence[np.ndarray], later: Sequence[np.ndarray]) -> bool:
    """Whether an array of ``later`` lies in memory where an array of ``first`` does (their byte ranges overlap).

    The caller keeps every array alive, and the memory of two live allocations never overlaps, so two ranges overlap
    only when both arrays lie in one buffer. Sorted ranges keep this fast for hundreds of arrays (a call's batches)."""
    spans = sorted(_byte_bounds(a) for a in first if a.size)
    if not spans:
        return False
    starts = np.array([low for low, _ in spans])
    ends = np.maximum.accumulate(np.array([high for _, high in spans]))  # the furthest end among the spans so far
    for b in later:
        if b.size:
            low, high = _byte_bounds(b)
            before = int(np.searchsorted(starts, high))  # the spans that start below b's end
            if before and ends[before - 1] > low:
                return True
    return False


def still_held(result: Any) -> list[np.ndarray]:
    """The arrays of ``result``, and the arrays they are views of, that stay alive once the caller lets ``result`` go:
    the function that returned it keeps them (the caller must not hold ``result`` anywhere else)."""
    refs = []
    for array in _arrays(result):
        while isinstance(array, np.ndarray):
            refs.append(weakref.ref(array))
            array = array.base
    del result
    return [r() for r in refs if r() is not None]


def reused_later(held: Sequence[np.ndarray], call_again: Callable[[], Any]) -> bool:
    """Whether one of ``HELD_CALLS`` more calls returns an array in the memory of ``held`` (what the function still
    holds of an earlier result: a ring of buffers comes round, slices of one array always overlap it; a log of
    every result, never written into, is left alone). No call is made when nothing is held."""
    return any(memory_overlaps(held, _arrays(call_again())) for _ in range(HELD_CALLS if held else 0))


def share_memory_between_calls(calls: Sequence[Sequence[np.ndarray]]) -> bool:
    """Whether an array of one call's results lies in the memory of an array of an earlier call's (``calls``: lists
    of arrays)."""
    return any(memory_overlaps([a for earlier in calls[:j] for a in earlier], calls[j]) for j in range(1, len(calls)))


RING_CALLS = 60  # round 16: calls after the first five, each compared with the first one only: a ring of up to 64
RING_SIZE = 2    # buffers is caught; made on the cases whose input arrays hold at most 2 elements each (so, cheap)
HELD_CALLS = 500  # round 22: more calls where the function still holds what it returned: a ring of up to 500


def _agree(a: Any, b: Any) -> bool:
    """Whether two calls on the same inputs gave the same result: float arrays and numbers within 1e-9 of each other
    (a sum's order of additions may follow where in memory the copied inputs lie), everything else exactly."""
    x, y = (list(r) if isinstance(r, (tuple, list)) else [r] for r in (a, b))
    if len(x) != len(y):
        return False
    for p, q in zip(x, y):
        if isinstance(p, (np.ndarray, float, np.floating)) and type(p) is type(q):
            p, q = np.asarray(p), np.asarray(q)
            if p.shape != q.shape or p.dtype != q.dtype:
                return False
            if not (np.allclose(p, q, rtol=1e-9, atol=0, equal_nan=True) if p.dtype.kind in "fc"
                    else np.array_equal(p, q)):
                return False
        elif not same_arrays(p, q):
            return False
    return True


def called(answer: Any, case: Case) -> Any:
    """Call the answer on the case as the engine does, and report a change to an input array as it does."""
    before = copied(case)
    result = answer(*case.args, **case.kwargs)
    if not same_arrays(case, before):
        raise input_changed()
    return result


COURSE_VERSION = ("your function calls {name}, the course's own version of this exercise: write the computation "
                  "yourself, as the exercise asks")
LIBRARY_VERSION = ("your function calls {name}, a library function that computes this exercise's result for you: the "
                   "exercise asks you to write that computation yourself")
OTHER_LIBRARY = ("your function calls {name}, from the library {package}: this exercise is written with numpy and "
                 "Python alone, as its text says, so its check refuses a call into any other library")
IMPORTED_LIBRARY = ("your function imports {name}, from the library {package}: this exercise is written with numpy and "
                    "Python alone, as its text says, so its check refuses any other library, imported or called")
FOREIGN_CALL = ("your function calls {name}, from ctypes, which runs the C functions of compiled libraries (a BLAS, "
                "torch's): this exercise is written with numpy and Python alone, as its text says, so its check "
                "refuses a call into any other library, through ctypes too")
HELD_LIBRARY = ("your function uses {name}, from the library {package}: this exercise is written with numpy and "
                "Python alone, as its text says, so its check refuses any other library, whether your function "
                "imports it, calls it or keeps it in a name (a global set in an earlier cell, a default argument)")
CHECK_HELPER = ("your function uses {name}, from the code of the course's own checks: write the computation "
                "yourself, as the exercise asks")
MODULE_LOOKUP = ("your function uses {name}, which looks a library up while it runs (by its name, from its file, in "
                 "a namespace or among all of Python's objects): this exercise is written with numpy and Python "
                 "alone, as its text says, so its check refuses code that looks a library up")
COMPLEX_STEP = ("your function computes with complex numbers ({name}): a complex step, Im f(x + ih) / h, computes a "
                "derivative numerically, without the formula, as finite differences do. This exercise asks you to "
                "derive the gradient and write it with real numbers, so its check refuses complex numbers")
WATCH_TRACED = ("your function called {name}, as a debugger (pdb, breakpoint()) or a tracer does: the check makes sure "
                "that this exercise is done with numpy and Python alone by watching every call your code makes, and "
                "the calls of a trace function are not seen, so it refuses {name} while it checks. Debug your "
                "function outside check(...), then check it again")
WATCH_PROBED = ("your function calls {name}, which looks at or changes what runs around it (the check's watch of your "
                "calls, its time limit, or the frames that called your function): a function must give the same "
                "result whether or not it is being checked, so the check refuses {name}. Debug your function outside "
                "check(...), then check it again")
WATCH_TURNED_OFF = ("your function called {name}, which turns off the check's watch of the functions your code calls, "
                    "or runs code in a thread the check does not see. The check makes sure that this exercise is done "
                    "with numpy alone, so it refuses {name}: compute the result with numpy in your function's own "
                    "thread")


def _refused_call(name: str | tuple) -> Mismatch:
    """The refusal of a call of ``name`` ("module.qualname"): the course's own version, or a library's; (name,
    package) for a call into a library that a numpy-only exercise does not allow (``watching_libraries``)."""
    if isinstance(name, tuple):
        return Mismatch(t(IMPORTED_LIBRARY, name=name[0], package=name[1]) if name[2:] == ("import",)
                        else t(CHECK_HELPER, name=name[0]) if name[2:] == ("helper",)
                        else t(WATCH_TRACED, name=name[0]) if name[2:] == ("trace",)
                        else t(MODULE_LOOKUP, name=name[0]) if name[2:] == ("lookup",)
                        else t(WATCH_PROBED, name=name[0]) if name[2:] == ("probe",)
                        else t(COMPLEX_STEP, name=name[0]) if name[2:] == ("complex",)
                        else t(FOREIGN_CALL, name=name[0]) if name[1] in _FOREIGN
                        else t(OTHER_LIBRARY, name=name[0], package=name[1]) if name[1]
                        else t(WATCH_TURNED_OFF, name=name[0]))
    own = name.split(".")[0] == __name__.split(".")[0]
    return Mismatch(t(COURSE_VERSION if own else LIBRARY_VERSION, name=t(GRAD_FN) if name == GRAD_FN else name))


_CHECK_HELPER_FILES = str(Path(__file__).parent) + "/"


def _check_helper(value: Any) -> str | None:
    """The name of ``value`` when it is a function or class of one of the checks' topic modules, by its code (a copy
    with other globals too): a helper of a check or of its catalogue, not an exercise's reference or catalogued
    mistake (refused where they are listed, and by the own-code rule, ``answer_on_stack``).

    Round 31 (r315 F2): the catalogue's own helpers (``_adam_corrected_step``, ``_adam_moments``) passed ``adam_step``
    and ``sgd_step``; they were refused one by one, by lists that each reader's round made longer."""
    function = getattr(value, "__func__", value)
    if not isinstance(function, (types.FunctionType, type)):
        return None
    codes = _codes(function)
    if not any(_a_check_helper_file(code.co_filename) for code in codes) or any(c in CHECK_CODES for c in codes):
        return None
    return f"{function.__module__}.{function.__qualname__}"


def _a_check_helper_file(filename: str) -> bool:
    """Whether code compiled from ``filename`` is one of the checks' topic modules (not this engine's)."""
    return filename.startswith(_CHECK_HELPER_FILES) and filename != __file__


def refusing_course_versions(run: Callable[[Any, Case], Any], functions: Sequence[Callable | str],
                             allowed: Sequence[Callable] = ()) -> Callable[[Any, Case], Any]:
    """``run``, refusing an answer that holds or calls one of ``functions``: course_utils' own versions of the exercise,
    or a library function that does its work (lesson 03's gradients by torch's or TensorFlow's autograd).

    A graded release hides an exercise's reference, but not a library function that the reference wraps and the
    lessons run (``mlp.forward``). An answer that holds one (``held_functions``) is refused before it runs. For the
    length of the call each function is replaced, wherever a course module or the answer's module holds it (its
    module, its class for a method, ``course_aliases``), by a wrapper that notes a call made while the answer's own
    code is on the stack (``watched``), except inside one of ``allowed``: course functions the lesson hands out as
    building blocks (04b's ``sgd_step`` for ``momentum_step``). A function of a module the exercises do not import (a
    widget's) is named as "module:qualname" and watched once that module is loaded; one of torch's operators is named
    as "aten::name" (a pattern), and ``BACKWARD_NODES`` stands for every backward node of torch's autograd
    (``watching_kernels``). ``NUMPY_ONLY`` refuses a call into any library but numpy (``watching_libraries``). A
    refused call is the verdict even where the answer then raised.
    """
    ends = frozenset(f.__code__ for f in allowed)
    numpy_only, real_only = NUMPY_ONLY in functions, REAL_ONLY in functions
    kernels = tuple(f for f in functions if isinstance(f, str) and "::" in f and f not in (NUMPY_ONLY, REAL_ONLY))
    functions = [f for f in functions if f not in kernels and f not in (NUMPY_ONLY, REAL_ONLY)]
    looked_at = []   # the last answer that held none of them, how many functions were loaded then, and the names of
    # its module that hold one (with that module's size and the loaded modules then): a check calls it up to 65 times
    # on each case
    loaded = [None, [], [], {}, {}]   # the imported modules, as counted below; the functions loaded; the places that
    # hold them; the functions by id; their names by code
    named = [f.partition(":")[0] for f in functions if isinstance(f, str)]
    log = []   # the calls the watchers note: each run reads and drops the ones made while it ran (a watcher that an
    # answer kept and calls from a thread of its own after its run would charge a later run: contrived, left)
    made = [None, None, []]   # the places the watchers were made for, and (holder, name, function, watcher)

    def runner(answer, case):
        modules = (len(sys.modules), *(id(sys.modules.get(name)) for name in named))   # a module loaded again counts
        if loaded[0] != modules:
            live = [f for f in map(_loaded, functions) if f is not None]
            # each function where its module or class holds it (not where a copy's __qualname__ points: tf.raw_ops.X
            # is a copy of gen_nn_ops' function, which gen_nn_ops holds itself), then where others hold it
            held = [(_owner(f), f.__name__, f) for f in live
                    if _owner(f) is not None and bound(_owner(f), f.__name__) is f]
            loaded[:] = [modules, live, held + course_aliases(live) + _named_aliases(functions),
                         {id(f): f for f in live}, {c: _qualified(f) for f in live for c in _codes(f)}]
        live = loaded[1]
        if not (looked_at and looked_at[0] is answer and looked_at[1] == len(live)):
            held = held_functions(answer, live)
            if held:
                raise _refused_call(_qualified(held[0]))
            values = held_values(answer)
            helper = next(filter(None, map(_check_helper, values)), None)
            if helper:
                raise Mismatch(t(CHECK_HELPER, name=helper))
            library = held_library(answer) if numpy_only else None
            if library:
                raise Mismatch(t(FOREIGN_CALL, name=library[0]) if library[1] in _FOREIGN
                               else t(HELD_LIBRARY, name=library[0], package=library[1]))
            lookup = _module_lookup(values) if numpy_only else None
            if lookup:
                raise _refused_call(lookup)
            complex_use = _complex_use(values) if real_only else None
            if complex_use:
                raise Mismatch(t(COMPLEX_STEP, name=complex_use))
            looked_at[:] = [answer, len(live), None, []]
        own = getattr(answer, "__globals__", {})   # the answer's module (a notebook's __main__)
        if looked_at[2] != (len(own), loaded[0]):   # its names that hold one, found once per answer (a test module
            # holds thousands of names, and a check runs an answer up to 65 times a case)
            by_id = loaded[3]
            looked_at[2:] = [(len(own), loaded[0]),
                             [(own, name, by_id[id(value)]) for name, value in list(own.items()) if id(value) in by_id]]
        if made[0] is not loaded[2] or made[1] is not looked_at[3]:   # one watcher a function, made once
            watchers = {id(f): watched(f, log, ends) for f in loaded[1]}
            made[:] = [loaded[2], looked_at[3], [(holder, name, *_as_held(holder, name, f, watchers[id(f)]))
                                                 for holder, name, f in loaded[2] + looked_at[3]]]
        places, start = made[2], len(log)
        for holder, name, _, watcher in places:
            bind(holder, name, watcher)
        failed = None
        ANSWER_MODULES.append(_module_of(answer))
        try:
            with (watching_kernels(kernels, log, ends),
                  watching_libraries(numpy_only, log, ends, ANSWER_MODULES[-1], loaded[4], real_only)):
                result = run(answer, case)
        except Exception as error:   # round 27: torch.func.grad raises where saved tensors are watched (below)
            failed = error
        finally:
            ANSWER_MODULES.pop()
            for holder, name, original, _ in reversed(places):   # a name held twice gets its original back last
                bind(holder, name, original)
            seen = log[start:]
            del log[start:]
        if seen:   # a function refused by name says more than the first call into a library not allowed
            raise _refused_call(next((name for name in seen if isinstance(name, str)), seen[0]))
        if failed is not None:
            raise failed
        return result
    return runner


def _module_of(answer: Any) -> dict | None:
    """The globals that the answer's code runs in: a function's own, or those of the function that a functools.partial,
    a bound method or a callable object's __call__ runs (round 29, r292 F3). None for course_utils' own code (a
    reference, a catalogued mistake): the engine's frames run in those modules too."""
    for _ in range(8):
        own = getattr(answer, "__globals__", None)
        if isinstance(own, dict):
            module = sys.modules.get(own.get("__name__", ""))
            course = module is not None and vars(module) is own and module.__name__.partition(".")[0] == "course_utils"
            return None if course else own
        answer = (getattr(answer, "func", None) or getattr(answer, "__func__", None)
                  or (None if isinstance(answer, type) else getattr(type(answer), "__call__", None)))
    return None


KERNEL = "aten::"   # how torch names its operators (its C++ kernels): "aten::sigmoid_backward"
BACKWARD_NODES = "autograd::nodes"   # every backward node of torch's autograd (a tensor's grad_fn and the ones below)
GRAD_FN = "a tensor's grad_fn (torch's autograd)"


@contextlib.contextmanager
def watching_kernels(patterns: Sequence[str], seen: list, ends: frozenset = frozenset()):
    """For the length of the block, note in ``seen`` each of torch's operators matching one of ``patterns``
    ("aten::*_backward", shell-style) that the answer's own code runs, however it reaches it: through
    ``torch.ops.aten`` or ``torch._C._VariableFunctions`` (read-only, so no name can be rebound to a watcher), a
    tensor's ``grad_fn`` called by hand, or torch's Python decomposition of it (``torch._decomp``, which runs other
    operators: its code on the stack counts). A torch dispatch mode sees every operator torch runs; nothing is watched
    while torch is not loaded (round 27: the engine notes of rounds 25 and 26).

    With ``BACKWARD_NODES`` among the patterns, every backward node counts: run by torch's autograd engine, however
    the engine was called, or called by hand (``z.grad_fn(g)`` of a matrix product runs only aten::mm), which unpacks
    the tensors the node saved: a saved-tensors hook sees that (torch.func.grad then refuses to run: its watched
    entry is the verdict)."""
    if not patterns or "torch" not in sys.modules:
        yield
        return
    import torch

    def unpacked(tensor):
        if answer_on_stack(sys._getframe(1), ends):
            seen.append(GRAD_FN)
        return tensor
    nodes = (torch.autograd.graph.saved_tensors_hooks(_packed, unpacked) if BACKWARD_NODES in patterns
             else contextlib.nullcontext())
    with _kernel_mode()(patterns, seen, ends), nodes:
        yield


def _packed(tensor):
    return tensor


@functools.cache
def _kernel_mode() -> type:
    import torch
    from torch._decomp import decomposition_table
    from torch.utils._python_dispatch import TorchDispatchMode

    class KernelWatch(TorchDispatchMode):
        def __init__(self, patterns, seen, ends):
            super().__init__()
            self.patterns, self.seen, self.ends = patterns, seen, ends
            self.codes = _decomposition_codes(patterns, len(decomposition_table))
            self.nodes = BACKWARD_NODES in patterns

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func._schema.name
            hit = (f"torch.ops.{name.replace('::', '.')}" if _refused_kernel(name, self.patterns)
                   else GRAD_FN if self.nodes and torch._C._current_autograd_node() is not None
                   else self._decomposition_on_stack())
            if hit and answer_on_stack(sys._getframe(1), self.ends):
                self.seen.append(hit)
            return func(*args, **(kwargs or {}))

        def _decomposition_on_stack(self) -> str | None:
            frame = sys._getframe(2)
            while frame is not None and self.codes and frame.f_code is not guarded.__code__:
                if frame.f_code in self.codes:
                    return self.codes[frame.f_code]
                frame = frame.f_back
            return None
    return KernelWatch


@functools.cache
def _refused_kernel(name: str, patterns: tuple) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


@functools.cache
def _decomposition_codes(patterns: tuple, size: int) -> dict:
    """{code: name} of torch's Python decompositions of the operators ``patterns`` name (``size``: how many the table
    holds, so that one registered later is found)."""
    from torch._decomp import decomposition_table

    found = {}
    for operator, function in list(decomposition_table.items()):
        schema = getattr(operator, "_schema", None)   # not of a higher-order operator (out_dtype)
        if schema is not None and _refused_kernel(schema.name, patterns):
            function = inspect.unwrap(function)
            found[function.__code__] = f"{function.__module__}.{function.__qualname__}"
    return found


def _as_held(holder: Any, name: str, function: Callable, watcher: Callable) -> tuple:
    """(what ``holder`` holds under ``name``, the watcher to hold instead): a class holds a static method as a
    ``staticmethod`` (round 26: sympy's ``Derivative.__new__`` came back as a plain function after a check)."""
    held = vars(holder).get(name) if isinstance(holder, type) else None
    return (held, staticmethod(watcher)) if isinstance(held, staticmethod) else (function, watcher)


COURSE_PACKAGE = str(Path(__file__).parents[1])   # course_utils, all of it
LIBRARIES = tuple(dict.fromkeys([COURSE_PACKAGE, sys.prefix, sys.base_prefix, *site.getsitepackages(),
                                 *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")),
                                 "<frozen "]))   # course_utils, the standard library and the installed packages


def watched(function: Callable, seen: list, ends: frozenset = frozenset()) -> Callable:
    """``function``, noting in ``seen`` each call made while the answer's own code runs (``answer_on_stack``)."""
    module = getattr(function, "__module__", "")   # named where it is held (torch._fused_sgd_, not by its qualname)
    name = f"{module}.{getattr(function, '__qualname__' if _owner(function) is not None else '__name__', '')}"

    @functools.wraps(function)
    def call(*args, **kwargs):
        if answer_on_stack(sys._getframe(1), ends):
            seen.append(name)
        return function(*args, **kwargs)
    del call.__wrapped__   # which would hand the unwatched function to an answer that asks for it
    for key, value in list(vars(call).items()):   # round 29 (r298 F2): wraps copies the function's __dict__, and a
        if isinstance(value, types.FunctionType):   # numba dispatcher's holds py_func, its Python function
            setattr(call, key, watched(value, seen, ends))
    inner = getattr(function, "__wrapped__", None)
    if inner is not None:   # round 24 (r247 E1): a library that calls its own method's undecorated function
        call.__wrapped__ = watched(inner, seen, ends)   # (captum: IntegratedGradients.attribute.__wrapped__)
    return call


def answer_on_stack(frame: types.FrameType | None, ends: frozenset = frozenset()) -> bool:
    """Whether code of the answer's own (not of course_utils, Python or an installed library) runs between ``frame``
    and the check's run of the answer (``guard.guarded``; the notebook cell that called check() is above it).

    Round 20: only a direct call from outside course_utils counted, so each course helper that computes the result
    through the reference on the answer's behalf (``mlp.backward`` for ``dense_backward``, the explorer widget for
    ``neuron``) had to be listed by hand. The walk also ends at the code of the judged exercise's reference or
    catalogued mistakes (``judging``; outside a check, any exercise's: ``CHECK_CODES``): what they call is the check's
    own doing (the stand-ins watch calls of them), and at the code of ``ends``. A frame that runs in the answer's
    module (``ANSWER_MODULES``) is the answer's whatever its file name: round 29 (r292 E4), an answer compiled under
    captum's own file name was taken for captum's code calling its Saliency.
    """
    check_codes = JUDGED[-1] if JUDGED else CHECK_CODES
    own = ANSWER_MODULES[-1] if ANSWER_MODULES else None
    while frame is not None:
        code = frame.f_code   # read once: each read is an audit event
        if code is guarded.__code__ or code in check_codes or code in ends:
            break
        if (own is not None and frame.f_globals is own) or not code.co_filename.startswith(LIBRARIES):
            return True
        frame = frame.f_back
    return frame is None   # a thread the answer started (a ThreadPoolExecutor's worker) has no check's run below


_FOREIGN = ("ctypes", "_ctypes")   # round 30 (r304 E2): a compiled library's C function, loaded with ctypes.CDLL
NUMPY_ONLY = "numpy::only"   # lessons 03 and 04: every library but numpy is refused (watching_libraries)
REAL_ONLY = "numpy::real"   # lesson 03's gradients: complex numbers are refused too (_complex_use)
ALLOWED_PACKAGES = frozenset({
    "numpy", "course_utils",   # and what prints, times and runs the answer: a notebook's kernel, pytest
    "IPython", "ipykernel", "traitlets", "zmq", "tornado", "jupyter_client", "jupyter_core", "comm", "debugpy",
    "_pytest", "pytest", "pluggy", "xdist", "execnet", "nbval", *sys.stdlib_module_names}) - set(_FOREIGN)
_CTYPES = str(Path(ctypes.__file__).parent) + "/"
_SITE_PACKAGES = tuple(sorted({*site.getsitepackages(), site.getusersitepackages(),
                               *(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))}, key=len, reverse=True))


@functools.cache
def package_of_file(filename: str) -> str | None:
    """The installed package that ``filename`` belongs to ("sklearn"), "ctypes", or None (the rest of the standard
    library, the answer's own code, course_utils run from a checkout)."""
    if filename.startswith(_CTYPES):
        return "ctypes"
    for root in _SITE_PACKAGES:
        if filename.startswith(root + "/"):
            return filename[len(root) + 1:].split("/")[0].removesuffix(".py")
    return None


def _package_of_builtin(function: Any) -> str:
    """The top-level module of a function written in C (``torch.sigmoid``, a tensor's ``.tanh``): "torch"."""
    module = getattr(function, "__module__", None)
    if not isinstance(module, str):
        holder = getattr(function, "__self__", None)
        owner = getattr(function, "__objclass__", None) or type(holder)
        module = holder.__name__ if isinstance(holder, types.ModuleType) else getattr(owner, "__module__", None)
    return module.partition(".")[0] if isinstance(module, str) else "builtins"


def _outside(package: str | None) -> bool:
    return package is not None and package not in ALLOWED_PACKAGES


def _enters_a_library(caller: types.FrameType, ends: frozenset, own: dict | None = None) -> bool:
    """Whether a call into a library not allowed, made from ``caller``, is the answer's doing: going up the stack from
    ``caller`` through numpy, course_utils (the engine too) and the standard library, the answer's own code comes
    before any library not allowed (a library's own calls, through the standard library too), the engine's import
    statement that puts torch's random state back around an answer's import, or a module's import (which runs a
    library's module code and path finders: the library's functions, once called, are seen). Round 30 (r303 E1, r306
    E1/E2): the walk ended at any of the engine's frames or the import system's, so a library function that the
    answer handed to one of the engine's helpers (``reference_of(scipy.stats.logistic.cdf)``) or to importlib's
    ``_call_with_frames_removed`` ran unseen: it ends at an import's ``_find_and_load`` now. A frame that runs in
    ``own``, the answer's module, is the answer's code whatever file name it was compiled under (round 29: an answer
    compiled with torch's file name, exec(compile(source, torch.__file__, "exec")), passed sigmoid_derivative by
    torch's autograd, r292 F3; one typed into a plain Python prompt, "<stdin>", called torch and passed conv2d_valid,
    r296 F1)."""
    check_codes = JUDGED[-1] if JUDGED else CHECK_CODES
    frame = caller
    while frame is not None:
        code = frame.f_code   # read once: each read of f_code is an audit event
        if code is guarded.__code__ or code in check_codes or code in ends:
            break
        if own is not None and frame.f_globals is own:
            return True
        filename = code.co_filename
        if code is _FIND_AND_LOAD or code is _IMPORT_FOR_THE_CHECK or _outside(package_of_file(filename)):
            return False
        if not (filename.startswith(LIBRARIES) or filename.startswith("<")) or not _made_by_a_library(frame):
            return True
        frame = frame.f_back
    return frame is None   # a thread the answer started


def _made_by_a_library(frame: types.FrameType) -> bool:
    """Whether a frame of an allowed library's file, or of code without a file ("<string>"), runs in the namespace of
    a loaded module of an allowed library: a dataclass' ``__init__`` made by exec in course_utils or the standard
    library. Round 31 (r314 E1): code the answer ran with exec in a namespace of its own (a finalizer's) was taken for
    a library's, and its torch calls went unseen. Round 32 (r322 E1): so was an import finder of the answer's,
    compiled under numpy's file name or run in a namespace whose __file__ is numpy's."""
    space = frame.f_globals
    module = sys.modules.get(space.get("__name__"))
    file = getattr(module, "__file__", None) if module is not None and vars(module) is space else None
    return isinstance(file, str) and file.startswith(LIBRARIES)


@contextlib.contextmanager
def watching_libraries(on: bool, seen: list, ends: frozenset = frozenset(), own: dict | None = None,
                       refused: dict | None = None, real_only: bool = False):
    """For the length of the block (when ``on``), note in ``seen`` each call that the answer's own code makes into an
    installed library other than numpy (``ALLOWED_PACKAGES``), directly or through numpy or course_utils: a Python
    function of the library ("call": torch's ``Tensor.__array__``, scikit-learn's ``_backprop``) or one written in C
    ("c_call": ``torch.sigmoid``, a tensor's method). Round 28: lists of library functions by name grew every round
    (scikit-learn's losses, TensorFlow's eager helpers, scipy's logistic density, Keras' Muon); lessons 03 and 04 are
    written with numpy alone, which this rule makes their checks hold by construction. Not seen: a library's numpy
    ufunc (``scipy.special.expit``, which computes no derivative) and a Cython function called on an object the
    answer made before the check (a Cython function's call makes no profile event). A function written in C that C
    calls (``map(torch.tanh, ...)``, ``functools.partial(torch.sub, a)(b)``) makes no profile event either: torch's
    operators are seen by a dispatch mode once torch is loaded (``_torch_operators``; round 29, r293 E4 and r294 E3).
    A call of the code of a function in ``refused`` (code: name) is noted by its name, however the answer reached it
    (round 34, r342 E1: 05b's cnn_param_count, refused by name, called as the exercise registry's reference). So is a
    call that tells the answer it is being checked or finds a library for it (``_PROBES``, ``_C_PROBES``: the profile
    function, the stack, the time limit's timer, inspect.getmodule; rounds 35-36), unless importlib or the guard
    itself makes it. With ``real_only`` (lesson 03's gradients), a complex number that the answer's code hands to a
    Python function (np.real, np.imag, a helper of its own) or whose C method it calls (``s.view``, ``s.conj()``) is
    noted too, as is a call of the cmath module (round 39, r399e H1: a complex step made without a complex literal,
    from cmath.sqrt(-1) or (-1.0) ** 0.5, passed)."""
    refused = refused or {}
    if not on:
        yield
        return

    hooks = {threading.setprofile.__code__: "threading.setprofile", threading.settrace.__code__: "threading.settrace"}
    home, torch_watch = threading.get_ident(), []

    def watch_torch():
        """Once torch is loaded (before the answer, or by it: checked as each import returns), watch its operators
        in the checking thread."""
        torch = sys.modules.get("torch")
        if (torch is not None and not getattr(getattr(torch, "__spec__", None), "_initializing", False)
                and threading.get_ident() == home):
            torch_watch.append(_torch_operators()(seen, ends, own))
            torch_watch[0].__enter__()

    def profile(frame, event, arg):
        if event == "call":
            caller = frame.f_back
            if caller is None:
                return
            code = frame.f_code   # read once: each read of f_code is an audit event, and audit hooks cost time
            if real_only and _complex_among(frame.f_locals.values()) and _enters_a_library(caller, ends, own):
                seen.append((f"{frame.f_globals.get('__name__', '?')}.{code.co_qualname}", None, "complex"))
            elif code in hooks and _enters_a_library(caller, ends, own):
                seen.append((hooks[code], None, *(("trace",) if "trace" in hooks[code] else ())))   # round 29 (r293
                # F1): the threads it starts run unseen; round 32 (r322 E2): a trace function's calls make no event
            elif code is _IMPORT_FOR_THE_CHECK or code in _IMPORTS:   # an import statement, while the check runs
                # (random_left_alone), importlib.import_module (round 32, r324 E1), importlib's own import functions,
                # which all go through _find_and_load (round 33, r334 E1: importlib.__import__, _gcd_import), or a
                # module's spec found or made into a module (round 34, r344 E2: importlib.util.module_from_spec)
                args = frame.f_locals["args"] if code is _IMPORT_FOR_THE_CHECK else (_IMPORTS[code](frame.f_locals),)
                name = str(args[0] if args else frame.f_locals["kwargs"]["name"])
                top = name.lstrip(".").partition(".")[0]
                if _outside(top) and _enters_a_library(caller, ends, own):
                    seen.append((name, top, "import"))   # round 30 (r302 E1, r304 E1, r305 E1): a Cython function
                    # makes no profile event, so scikit-learn's _axpy_memview passed sgd_step
            elif code in refused and _enters_a_library(caller, ends, own):
                seen.append(refused[code])
            elif code in _PROBES and _enters_a_library(caller, ends, own):
                seen.append(_PROBES[code])
            elif _outside(package_of_file(code.co_filename)) and _enters_a_library(caller, ends, own):
                seen.append((f"{frame.f_globals.get('__name__', '?')}.{code.co_qualname}",
                             package_of_file(code.co_filename)))
            elif (_a_check_helper_file(code.co_filename) and code not in CHECK_CODES
                  and not caller.f_code.co_filename.startswith(COURSE_PACKAGE)   # the checks' own calls (quick)
                  and _enters_a_library(caller, ends, own)):
                seen.append((f"{frame.f_globals.get('__name__', '?')}.{code.co_qualname}", None, "helper"))   # a
                # check's helper reached at run time (imported inside the answer), which no held name shows
        elif event == "c_call":
            if isinstance(getattr(arg, "__self__", None), contextvars.Context) and _enters_a_library(frame, ends, own):
                seen.append(("contextvars.Context.run", None))   # round 39 (second read, s1 H1): numpy's error state
                return   # is the context's, so the overflow check's (and any watch's) settings did not hold in it
            if real_only and (_complex_among([getattr(arg, "__self__", None)])
                              or getattr(arg, "__module__", None) == "cmath") and _enters_a_library(frame, ends, own):
                seen.append((getattr(arg, "__qualname__", getattr(arg, "__name__", "?")), None, "complex"))
                return
            if (arg in _RAW_THREADS and frame.f_code is not threading.Thread.start.__code__
                    and _enters_a_library(frame, ends, own)):   # round 29 (r293 E2, r294 E1): a thread that
                seen.append(("_thread.start_new_thread", None))   # threading.setprofile does not reach
                return
            if (arg is _REAL_IMPORT and frame.f_code is not _IMPORT_FOR_THE_CHECK
                    and _enters_a_library(frame, ends, own)):   # round 34 (r344 E1): the real __import__ held from
                seen.append(("__import__", None, "lookup"))   # before the check (an alias, logging.config's
                return   # BaseConfigurator.importer) loads no module already loaded: no import is seen
            if (arg in _C_PROBES and frame.f_globals is not _BOOTSTRAP and frame.f_globals is not _EXTERNAL
                    and frame.f_globals is not _GUARD and _enters_a_library(frame, ends, own)):   # importlib's own
                seen.append(_C_PROBES[arg])   # calls of _imp are judged by the name they import (_IMPORTS); the
                return   # time limit's alarm handler runs above the answer's frame
            package = _package_of_builtin(arg)
            if _outside(package) and _enters_a_library(frame, ends, own):
                seen.append((f"{package}.{getattr(arg, '__qualname__', getattr(arg, '__name__', '?'))}", package))
        elif (event == "return" and not torch_watch and frame.f_globals is _BOOTSTRAP
              and frame.f_code is _FIND_AND_LOAD):
            watch_torch()   # an import ends: torch may be loaded now (a check on every event took 20 % longer)
    before, before_threads = sys.getprofile(), threading.getprofile()
    watch_torch()
    undo_tensorflow = _watching_tensorflow(seen, ends, own)
    if not _WATCHING:
        listen("sys.setprofile", _refuse_turning_the_watch_off)   # once
        listen("sys.settrace", functools.partial(_refuse_turning_the_watch_off, name="sys.settrace"))   # round 32
        not_cut(profile.__code__)
        _WATCHING.append(None)
    threading.setprofile(profile)   # a thread the answer starts
    sys.setprofile(profile)   # last and first off: the engine's own calls are not watched
    _WATCHING.append((seen, ends, own))
    try:
        yield
    finally:
        _WATCHING.pop()
        sys.setprofile(before)
        threading.setprofile(before_threads)
        if torch_watch:
            torch_watch[0].__exit__(None, None, None)
        undo_tensorflow()


_RAW_THREADS = (_thread.start_new_thread, _thread.start_new)
_TF_RUNNERS = ("TFE_Py_Execute", "TFE_Py_ExecuteCancelable")


def _watching_tensorflow(seen: list, ends: frozenset, own: dict | None) -> Callable[[], None]:
    """When TensorFlow is loaded, note each of its operators that the answer's own code runs (``_enters_a_library``),
    however it reached TensorFlow's op runners: an op callback sees the fast path (``TFE_Py_FastPathExecute``) and
    watched stand-ins the other runners, whose calls from C (a functools.partial) make no profile event. Round 33
    and 34 (r336 E1/E2, r346 E2): the runner, found through a class's subclasses, a namespace or
    ``inspect.getmodule("keras")``, passed conv2d_valid. Returns what puts TensorFlow back."""
    pywrap = sys.modules.get("tensorflow.python.pywrap_tfe")
    callbacks = sys.modules.get("tensorflow.python.framework.op_callbacks")
    if pywrap is None or callbacks is None:
        return lambda: None

    def op_run(op_type, *args, **kwargs):
        if _enters_a_library(sys._getframe(1), ends, own):
            seen.append((f"tensorflow's operator {op_type.decode() if isinstance(op_type, bytes) else op_type}",
                         "tensorflow"))

    def stand_in(name, runner):
        def run(*args, **kwargs):
            if _enters_a_library(sys._getframe(1), ends, own):
                seen.append((f"tensorflow.python.pywrap_tfe.{name}", "tensorflow"))
            return runner(*args, **kwargs)
        return run

    runners = {name: getattr(pywrap, name) for name in _TF_RUNNERS if hasattr(pywrap, name)}
    for name, runner in runners.items():
        setattr(pywrap, name, stand_in(name, runner))
    callbacks.add_op_callback(op_run)

    def undo():
        callbacks.remove_op_callback(op_run)
        for name, runner in runners.items():
            setattr(pywrap, name, runner)
    return undo
_BOOTSTRAP = vars(sys.modules["importlib._bootstrap"])
_FIND_AND_LOAD = _BOOTSTRAP["_find_and_load"].__code__   # every import that loads a module
_DISPATCH_FRAMES = ("/torch/_dynamo/eval_frame.py", "/torch/_compile.py", "/torch/utils/_python_dispatch.py")


@functools.cache
def _torch_operators() -> type:
    from torch.utils._python_dispatch import TorchDispatchMode

    class TorchOperators(TorchDispatchMode):
        """Notes each of torch's operators run by the answer's own code (``_enters_a_library``), also where C called
        it: torch's Python functions on the way are seen by the profile itself."""
        def __init__(self, seen, ends, own):
            super().__init__()
            self.seen, self.ends, self.own = seen, ends, own

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename.endswith(_DISPATCH_FRAMES):   # torch's way here
                frame = frame.f_back
            if frame is not None and _enters_a_library(frame, self.ends, self.own):
                self.seen.append((f"torch.ops.{func._schema.name.replace('::', '.')}", "torch"))
            return func(*args, **(kwargs or {}))
    return TorchOperators


_WATCHING: list = []   # None once the audit hook is in place, then (seen, ends, own) of each watching_libraries block


def _refuse_turning_the_watch_off(args: tuple, name: str = "sys.setprofile") -> None:
    """A listener of the audit event "sys.setprofile" (``guard.listen``): while a numpy-only answer runs, its own call
    of sys.setprofile (even through functools.partial, which makes no profile event, or ctypes' PyEval_SetProfile) is
    noted and made to raise, so that the profile stays on. Round 29 (r292 F1): an answer that began with
    sys.setprofile(None), or put the profile back after its work, passed with torch's sigmoid. A thread that
    threading started sets its profile as it begins (threading.setprofile), which is allowed. Round 32 (r322 E2): so
    is sys.settrace, whose trace function's own calls make no profile event (scipy called from one passed
    sigmoid_derivative)."""
    if len(_WATCHING) < 2:
        return
    caller = sys._getframe(2)   # above guard's audit hook
    if caller.f_code is _unwatched.__code__:   # the engine's own copy of plain values (quick: each copy makes two)
        return
    seen, ends, own = _WATCHING[-1]
    if caller.f_code is not threading.Thread._bootstrap_inner.__code__ and _enters_a_library(caller, ends, own):
        seen.append((name, None, *(("trace",) if name == "sys.settrace" else ())))
        raise RuntimeError(t(WATCH_TRACED if name == "sys.settrace" else WATCH_TURNED_OFF, name=name))


MADE_CALLED: list = []   # the factories whose functions the answer's own code called in the current run


def note_a_made_call(factory: Callable) -> None:
    """Note ``factory`` when the answer's own code called the function it made: each function that a topic module's
    factory makes (a catalogued mistake's code) calls this first.

    Round 23: with the right settings such a factory makes a right answer (``_occlusion_with()``,
    ``_cnn_variant()``, ``_module_mistake(_logits)``); made in an earlier cell it is a new object, which neither the
    refusal of the catalogued functions (by identity) nor ``answer_on_stack`` (which ends at their code) sees. The
    check's own runs of the catalogue come from course_utils and are not noted."""
    if answer_on_stack(sys._getframe(2)):
        MADE_CALLED.append(factory)


def refusing_made_calls(call: Callable[[], Any]) -> Any:
    """``call()``, refused when it ran a function of a topic's factory for the answer (``note_a_made_call``): noted,
    not raised there, so an answer that catches every error cannot hide it."""
    MADE_CALLED.clear()
    try:
        result = call()
    except Exception:
        if not MADE_CALLED:
            raise
        result = None
    if MADE_CALLED:
        raise Mismatch(t(COURSE_VERSION, name=_qualified(MADE_CALLED[0])))
    return result


def catalogued(exercise: Exercise) -> tuple:
    """The reference and every catalogued function of ``exercise``: each is the exercise's result wherever its mistake
    does not show, so another lesson's check refuses them all (derived, not listed by name: rounds 25 and 26 each
    added a mistake that a list by name left out)."""
    return (exercise.reference, *(mistake.answer for mistake in exercise.mistakes))


def _qualified(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def reference_of(function: Callable) -> Callable:
    """``function`` as an exercise's reference when it is also one of the course versions that the check refuses: a
    wrapper of course_utils' own, so that the reference passes while an answer that is ``function`` itself is refused
    (``inspect.unwrap`` still finds it, for a graded release to hide). Each wrapper runs code of its own: a check's
    walk up the stack ends at its own reference's code, and with one code for all, momentum_step's answer ran
    adam_step's reference unwatched (round 33, r335 F3)."""
    @functools.wraps(function)
    def reference(*args, **kwargs):
        return function(*args, **kwargs)
    reference.__code__ = reference.__code__.replace(co_name=f"reference_of_{function.__name__}")
    return reference


_GLOBAL_READS = {"LOAD_GLOBAL", "LOAD_NAME"}   # the instructions that read a global name (held_functions)


_MODULE_LOOKUPS = {"modules": "sys.modules", "get_objects": "gc.get_objects", "get_referents": "gc.get_referents",
                   "get_referrers": "gc.get_referrers",   # an import (__import__, importlib) is seen as it runs;
                   # round 33: a class's subclasses (r332 E1, r336 E1: scikit-learn's Cython losses, TensorFlow's
                   # eager context) and a namespace (r336 E2: globals()["keras"], a function's __globals__)
                   "__subclasses__": "object.__subclasses__()", "globals": "globals()",
                   "__globals__": "a function's __globals__", "f_globals": "a frame's f_globals",
                   "f_locals": "a frame's f_locals",   # round 34 (r346 E1, r343 E1): a library read from the
                   # calling cell's frame, also by inspect.getargvalues(frame): no numpy-only exercise needs a frame
                   "_getframe": "sys._getframe", "currentframe": "inspect.currentframe", "f_back": "a frame's f_back",
                   "tb_frame": "a traceback's tb_frame", "gi_frame": "a generator's gi_frame",
                   "cr_frame": "a coroutine's cr_frame", "_current_frames": "sys._current_frames",
                   "user_ns": "IPython's user_ns"}
_PROBE_NAMES = {"getprofile": "sys.getprofile", "gettrace": "sys.gettrace"}   # round 35 (r351 E1, r354 E1, r356 E1):
# an answer right only while the watch's profile function is set; by name too, as iter(sys.getprofile, None) calls it
# from C, which makes no profile event


def _module_lookup(held: list) -> tuple[str, None, str] | None:
    """The name by which the answer's own code (the functions it holds, ``held_values``) finds a loaded module at run
    time without importing it (``sys.modules``, ``gc.get_objects``), where a numpy-only exercise has no use for one: a
    name, an attribute or a string. Round 32 (r323 E1, r324 E1, r325 E1, r326 E1): a Cython or f2py function,
    a ctypes pointer class or TensorFlow's fast path looked up in sys.modules inside the answer held nothing before
    the run and made no profile event when called (four parts, three libraries)."""
    for code in _own_codes(held):
        names = {*code.co_names, *(c for c in code.co_consts if isinstance(c, str))}
        for table, kind in ((_MODULE_LOOKUPS, "lookup"), (_PROBE_NAMES, "probe")):
            found = table.keys() & names
            if found:
                return table[min(found)], None, kind
    return None


def _own_codes(held: list):
    """The code of the functions the answer holds that are its own (not a library's or the course's), and of the
    functions and lambdas defined inside them."""
    for value in held:
        function = getattr(value, "__func__", value)
        if not isinstance(function, types.FunctionType) or function.__code__.co_filename.startswith(LIBRARIES):
            continue
        codes = [function.__code__]
        while codes:
            code = codes.pop()
            yield code
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]


def _complex_among(values) -> bool:
    """Whether one of ``values`` is a complex number or an array of them."""
    return any(isinstance(v, (complex, np.complexfloating)) or (isinstance(v, np.ndarray) and v.dtype.kind == "c")
               for v in values)


_COMPLEX_NAMES = {"complex", "complex64", "complex128", "complex256", "complex_", "cdouble", "csingle",
                  "clongdouble", "cfloat", "clongfloat", "complexfloating", "imag", "real", "conj", "conjugate",
                  "emath", "scimath", "cmath"}
_COMPLEX_CODES = {"D", "G"}   # round 39 (r399e H2): numpy's one-letter codes of complex dtypes, as strings; not "F",
# which is also an array order (order="F"), and which the run-time watch sees as it is used


def _complex_use(held: list) -> str | None:
    """How the answer's own code (the functions it holds, ``held_values``) makes or reads a complex number: a constant
    such as 1j, a name of ``_COMPLEX_NAMES`` (``dtype=complex``, ``.imag``, ``np.emath.sqrt(-1)``), or a string that
    numpy reads as a complex dtype ("complex128"). Round 39 (r395 F1, round 37's r372 F3): a complex-step derivative,
    numpy only and exact, passed sigmoid_derivative and mlp_backward without the backward formulas."""
    def constants(values):
        for value in values:
            yield from constants(value) if isinstance(value, (tuple, frozenset)) else (value,)

    for code in _own_codes(held):
        for constant in constants(code.co_consts):
            if isinstance(constant, complex):
                return repr(constant)
            if isinstance(constant, str) and (constant in _COMPLEX_NAMES | _COMPLEX_CODES or _complex_dtype(constant)):
                return repr(constant)
        found = _COMPLEX_NAMES & set(code.co_names)
        if found:
            return min(found)
    return None


def _complex_dtype(text: str) -> bool:
    """Whether numpy reads ``text`` (two characters or more: "F" is also an array order) as a complex dtype."""
    try:
        return len(text) > 1 and np.dtype(text).kind == "c"
    except (TypeError, ValueError, SyntaxError):
        return False


def held_functions(answer: Any, functions: Sequence[Callable]) -> list[Callable]:
    """Those of ``functions`` that ``answer`` holds itself (``held_values``).

    Round 18: ``from course_utils.mlp import forward`` (or ``f = mlp.forward`` in an earlier cell) binds the function
    itself, where a replacement in its module does not reach it; so does a default value, a closure or a partial.
    """
    nested, codes = set(), [f.__code__ for f in functions if isinstance(f, types.FunctionType)]
    while codes:   # round 32 (r327 E1): and a function that one of them made (captum's gradient function, which
        # LayerIntegratedGradients._make_gradient_func returned in an earlier cell), by its code
        inner = [c for c in codes.pop().co_consts if isinstance(c, types.CodeType)]
        nested.update(inner)
        codes += inner
    nested -= CHECK_CODES   # a catalogued mistake that a factory of the checks made is judged as itself
    # round 39 (r398 F1): a compiled version of one of them, as numba keeps it (dispatcher.overloads[sig].entry_point,
    # a built-in function with the module and the name of the function it was compiled from)
    compiled = {(f.__module__, f.__name__) for f in functions
                if isinstance(getattr(f, "__module__", None), str) and isinstance(getattr(f, "__name__", None), str)
                and not (f.__module__ or "").startswith("builtins")}
    codes = {f.__code__ for f in functions if isinstance(f, types.FunctionType)}
    return [value for value in held_values(answer) if any(value is f for f in functions)
            or getattr(getattr(value, "__func__", value), "__code__", None) in nested
            or (isinstance(value, types.BuiltinFunctionType)
                and (getattr(value, "__module__", None), getattr(value, "__name__", None)) in compiled)
            or getattr(_compiled_from(value), "__code__", None) in codes]


def _compiled_from(value: Any) -> Any:
    """The Python function that a numba dispatcher (``numba.njit(f)``) was made from, else None. Round 39 (second
    read, s1 H4): a new njit of shap's refused routine's py_func, held from an earlier cell, passed."""
    try:
        function = getattr(value, "py_func", None) if type(value).__module__.startswith("numba") else None
    except Exception:   # an object whose attributes raise
        return None
    return function if isinstance(function, types.FunctionType) else None


def held_values(answer: Any) -> list[Any]:
    """What ``answer`` holds itself: a global that its code reads, a default value, a closure cell, a functools.partial
    or an attribute of an object it is a method of (or that has its ``__call__``), in the answer or in a function of
    its own that it holds (not one of course_utils or of an installed library), and for a class, in its methods and
    its bases'."""
    reached, seen, todo = [], set(), [answer]
    while todo:
        value = todo.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        reached.append(value)
        if isinstance(value, (dict, list, tuple, set, frozenset, collections.deque)) and len(value) <= 1_000_000:
            todo += [*value, *value.values()] if isinstance(value, dict) else list(value)   # DERIVATIVES["sigmoid"]
            # (round 19); round 24 (r241 E1): an OrderedDict or a deque too; round 32 (r324 E2): 1,000 items were the
            # limit, and scipy's daxpy hid in a dict of 1,001; round 35: a dict's keys too (a WeakKeyDictionary's)
        elif isinstance(value, np.ndarray) and value.dtype.hasobject and value.size <= 1_000_000:
            todo += list(value.ravel())   # round 35 (r355 E1): scipy's daxpy in an array of dtype object
        elif isinstance(value, weakref.ref):   # round 35 (r355 E2): scikit-learn's Cython _axpy_memview behind a
            todo.append(value())   # weak reference (a WeakValueDictionary holds its values so)
        elif isinstance(value, (staticmethod, classmethod)):   # round 24 (r241 E1): in a class's namespace
            todo.append(value.__func__)
        elif isinstance(value, functools.partial):
            todo += [value.func, *value.args, *value.keywords.values()]
        elif isinstance(value, type):   # a class: its methods and its bases' (round 20: a subclass of DigitMLP)
            todo += [*vars(value).values(), *value.__bases__]
        elif isinstance(getattr(type(value), "__call__", None), types.FunctionType):   # an object with a __call__
            todo += [type(value).__call__, *getattr(value, "__dict__", {}).values()]
        elif isinstance(getattr(value, "__func__", value), types.FunctionType):   # a function, or a bound method
            function = getattr(value, "__func__", value)
            if function.__code__.co_filename.startswith(LIBRARIES):
                continue
            codes, names = [function.__code__], set()
            while codes:   # the global names its code reads, and those of the lambdas and functions defined inside
                code = codes.pop()   # it; not co_names, which holds attribute names too (round 23: torch.sigmoid
                # was refused whenever the notebook's global sigmoid was the reference that a failed check hands back)
                names.update(i.argval for i in dis.get_instructions(code) if i.opname in _GLOBAL_READS)
                codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
            todo += [function.__globals__[name] for name in names if name in function.__globals__]
            todo += [*(function.__defaults__ or ()), *(function.__kwdefaults__ or {}).values()]
            todo += [*getattr(getattr(value, "__self__", None), "__dict__", {}).values()]
            for cell in function.__closure__ or ():
                try:
                    todo.append(cell.cell_contents)
                except ValueError:   # a cell not filled yet
                    pass
        elif (type(value) is types.SimpleNamespace or _of_the_answer(type(value))   # round 24 (r241 E1): an object
              or _of_the_standard_library(type(value))):   # that holds it as an attribute; round 32 (r324 E2): an
            # argparse.Namespace, a ChainMap's maps too
            todo += list(getattr(value, "__dict__", {}).values())
        elif isinstance(value, types.ModuleType) and value.__spec__ is None and not hasattr(value, "__file__"):
            todo += list(vars(value).values())   # round 32 (r324 E2): a module the answer made (types.ModuleType)
        elif isinstance(value, types.GeneratorType) and value.gi_frame is not None:   # round 33 (r333 E1): a
            # generator started before the check, its locals and the globals its code reads
            code, frame = value.gi_code, value.gi_frame
            cells = tuple(types.CellType(frame.f_locals.get(name)) for name in code.co_freevars)
            todo += [*frame.f_locals.values(), types.FunctionType(code, frame.f_globals, closure=cells)]
        elif type(value).__module__ in _STANDARD_C_MODULES and not isinstance(value, (type, types.ModuleType)):
            todo += gc.get_referents(value)   # round 33 (r333 E1): what an itertools.starmap, a map or a bound
            # C method holds
    return reached


_STANDARD_C_MODULES = {"builtins", "itertools", "functools", "operator", "collections"}


def held_library(answer: Any) -> tuple[str, str] | None:
    """(name, library) of the first thing ``answer`` holds (``held_values``) that belongs to an installed library
    other than numpy (``ALLOWED_PACKAGES``): a module, a class, a function (Python, C, Cython, f2py's, a ufunc that is
    not numpy's own), a ctypes function or library, an object of a library's class.

    Round 31: a Cython function, an f2py object or a ctypes function pointer makes no profile event when called, so
    one imported or looked up before the check (an earlier cell) passed the numpy-only exercises (r284 F4; round 30's
    r302 E1, r304 E2, r305 E1 variants). What the answer holds is seen before it runs, whatever it is."""
    for value in held_values(answer):
        function = getattr(value, "__func__", value)
        if isinstance(value, types.ModuleType):
            module, name = value.__name__, value.__name__
        elif isinstance(value, type):
            if _of_the_answer(value):
                continue
            module, name = value.__module__, f"{value.__module__}.{value.__qualname__}"
        elif isinstance(function, types.FunctionType):
            module, name = function.__module__, f"{function.__module__}.{function.__qualname__}"
        elif isinstance(value, np.ufunc) or type(value).__name__ == "fortran":   # f2py's (scipy.linalg.blas.daxpy)
            if isinstance(value, np.ufunc) and getattr(np, value.__name__, None) is value:
                continue
            module = _module_holding(value)
            name = f"{module}.{str(getattr(value, '__name__', '?')).split()[-1]}"   # f2py's: "function daxpy"
        elif callable(value) and isinstance(getattr(value, "__module__", None), str):   # C, Cython
            module = value.__module__
            name = f"{module}.{getattr(value, '__qualname__', getattr(value, '__name__', '?'))}"
        elif _of_the_answer(type(value)):
            continue
        else:   # an object: of its class
            module, name = type(value).__module__, f"{type(value).__module__}.{type(value).__qualname__}"
        package = "ctypes" if isinstance(value, (ctypes._CFuncPtr, ctypes.CDLL)) else _library_of(module)
        if _outside(package) or package in _FOREIGN:
            return name, package
    return None


def _library_of(module_name: Any) -> str | None:
    """The installed package of a loaded module, by its name (``package_of_file`` of its file or folder); its name's
    top for one without either; None for the standard library's, the answer's own (``__main__``, a module it made) and
    course_utils run from a checkout."""
    module = sys.modules.get(module_name) if isinstance(module_name, str) else None
    if module is None or module_name == "__main__":
        return None
    file = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", None) or ()), None)
    return package_of_file(file) if isinstance(file, str) else module_name.partition(".")[0]


def _module_holding(value: Any) -> str:
    """The name of a loaded module of an installed package that holds ``value`` as one of its names ("?" if none)."""
    return next((name for name, module in list(sys.modules.items()) if _library_of(name) is not None
                 and any(held is value for held in list(getattr(module, "__dict__", {}).values()))), "?")


def _of_the_standard_library(kind: type) -> bool:
    """Whether class ``kind`` is one of the standard library's Python classes (argparse.Namespace, ChainMap)."""
    file = getattr(sys.modules.get(kind.__module__), "__file__", None)
    return isinstance(file, str) and file.startswith(_STANDARD_LIBRARY) and package_of_file(file) is None


_STANDARD_LIBRARY = sysconfig.get_paths()["stdlib"]


def _of_the_answer(kind: type) -> bool:
    """Whether class ``kind`` was defined by the answer's own code (a notebook's), not by a module of a library."""
    module = sys.modules.get(kind.__module__)
    return (module is not None and kind.__module__ not in sys.builtin_module_names   # a module, a cell: Python's own
            and not (getattr(module, "__file__", None) or "").startswith(LIBRARIES))


def _loaded(function: Callable | str) -> Callable | None:
    """``function``; for a "module:qualname", the function once its module is loaded, else None."""
    if not isinstance(function, str):
        return function
    module, _, qualname = function.partition(":")
    found = sys.modules.get(module)
    for name in qualname.split("."):
        if found is None:   # not loaded (None has attributes of its own: None.__init__)
            return None
        found = getattr(found, name, None)
    return found


def _named_aliases(functions: Sequence[Callable | str]) -> list:
    """(namespace, name, function) for every loaded module that holds a function named as "module:name" under that
    name, other than the place ``_owner`` names (the runner binds that one itself): round 25 (r253 F4), TensorFlow's
    ``tf.raw_ops.X`` is a copy of ``gen_nn_ops``' function that ``tf.raw_ops`` and ``tf.compat.v1.raw_ops`` hold, not
    where its ``__module__`` says."""
    named = [(name, f) for name, f in ((spec.partition(":")[2], _loaded(spec)) for spec in functions
                                       if isinstance(spec, str)) if f is not None and "." not in name]
    found = []
    for module in list(sys.modules.values()):
        held = getattr(module, "__dict__", None)
        if type(held) is dict:
            found += [(held, name, f) for name, f in named
                      if held.get(name) is f and not (name == f.__name__ and module is _owner(f))]
    return found


def course_aliases(functions: Sequence[Callable]) -> list:
    """(namespace, key, function) for every name and dict entry of a loaded course_utils module that holds one of
    ``functions``, other than the function's own name in its own module (round 19: ``neurons.DERIVATIVES["sigmoid"]``,
    ``neurons.ACTIVATIONS["relu"]``, and ``mlp``'s own import of the sigmoid)."""
    wanted = {id(f): f for f in functions}
    found = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] != __name__.split(".")[0]:
            continue
        for key, value in list(vars(module).items()):
            f = wanted.get(id(value))
            if f is not None and not (key == getattr(f, "__name__", None) and name == getattr(f, "__module__", None)):
                found.append((vars(module), key, f))
            elif type(value) is dict:
                found += [(value, k, wanted[id(v)]) for k, v in list(value.items()) if id(v) in wanted]
    return found


def bind(holder: Any, name: str, value: Any) -> None:
    """``holder[name] = value`` for a namespace dict, ``setattr`` for a class, and for a module or a frozen dataclass
    ``object.__setattr__``."""
    if isinstance(holder, dict):
        holder[name] = value
    elif isinstance(holder, type):
        setattr(holder, name, value)
    else:
        object.__setattr__(holder, name, value)


def bound(holder: Any, name: str) -> Any:
    """What ``holder`` holds under ``name`` (None when nothing)."""
    return holder.get(name) if isinstance(holder, dict) else getattr(holder, name, None)


def _owner(function: Callable) -> Any:
    """The module, or the class in it, that ``__module__`` and ``__qualname__`` say hold ``function`` (``Adam.update``:
    the class Adam); None where there is none (torch's ``_fused_sgd_``, a method of a class that torch does not hold:
    ``_named_aliases`` finds it in torch)."""
    owner = sys.modules.get(getattr(function, "__module__", None) or "")
    for name in getattr(function, "__qualname__", "").split(".")[:-1]:
        owner = getattr(owner, name, None)
    return owner


def refuse_a_missing_error(case: Case, result: Any) -> None:
    """Where ``case`` must raise, the engine's message with the answer's own result: for a run that returns more than
    the result (train_step's losses and weights, the calls of grad_fn), which the engine would show instead."""
    if case.raises:
        errors = case.raises if isinstance(case.raises, tuple) else (case.raises,)
        raise Mismatch(t("should raise {errors} for this input, but returned {value}",
                         errors=" or ".join(error.__name__ for error in errors), value=short(result)))


def new_results(run: Callable[[Any, Case], Any] = called, calls: int = 5) -> Callable[[Any, Case], Any]:
    """``run``, five times on copies of the same case (65 on a case of small arrays), requiring new, writeable result
    arrays of the answer's own.

    The values of each refused answer would be right on the first call, but its results and the caller's arrays
    stay tied together: a result that shares memory with an input (z or w returned as it is) or with another call's
    result (buffers kept between calls, used in turn), a read-only result, an input made read-only, an input or a
    result that a later call writes into, and a later call that gives other values (a state kept between calls). Where
    the answer still holds a result once the caller let it go, up to ``HELD_CALLS`` more calls look for its memory.
    """
    def runner(answer, case):
        pristine = copied(case)            # never passed to the answer
        inputs = _arrays(case)
        writeable = [a.flags.writeable for a in inputs]
        result = run(answer, case)
        if [a.flags.writeable for a in inputs] != writeable:
            raise Mismatch(t(INPUT_MADE_READ_ONLY))
        outputs = _arrays(result)
        if any(np.shares_memory(r, a) for r in outputs for a in inputs):
            raise Mismatch(t(SHARES_INPUT))
        if any(not r.flags.writeable for r in outputs):
            raise Mismatch(t(READ_ONLY_RESULT))
        saved, results = copied(result), []
        for _ in range(calls - 1):
            results.append(run(answer, copied(pristine)))
        if share_memory_between_calls([outputs] + [_arrays(r) for r in results]):
            raise Mismatch(t(KEPT_RESULT))
        if not same_arrays(case, pristine) or not same_arrays(result, saved):
            raise Mismatch(t(CHANGED_LATER))
        if not all(_agree(saved, other) for other in results):
            raise Mismatch(t(OTHER_VALUES))
        if max((a.size for a in inputs), default=0) <= RING_SIZE:
            for _ in range(RING_CALLS):  # round 16: a ring of 5 to 64 buffers reuses the first call's memory in one
                results.append(run(answer, copied(pristine)))  # of these calls (all kept alive)
                if memory_overlaps(outputs, _arrays(results[-1])):
                    raise Mismatch(t(KEPT_RESULT))
            def call_again():
                return run(answer, copied(pristine))
            if reused_later(still_held(call_again()), call_again):  # round 22: a ring of 65 to 500 buffers
                raise Mismatch(t(KEPT_RESULT))
        return result
    return runner


def kept_between_calls(result: Any, call_again: Callable[[], Any]) -> bool:
    """Whether ``call_again()`` returns its result in the memory of ``result`` (a tensor or numpy array); a result that
    numpy cannot hold (bfloat16) is left to the comparison, which says so."""
    try:
        first = to_numpy(result)
    except Exception:
        return False
    if not isinstance(first, np.ndarray) or not first.size:
        return False
    second = call_again()
    try:
        second = to_numpy(second)
    except Exception:
        return False
    return isinstance(second, np.ndarray) and np.shares_memory(first, second)


NOT_AN_ARRAY = ("an array came back as a {kind}, not a numpy array: later code uses its .shape, .max() and numpy "
                "arithmetic (lr * a list fails, 2 * a list repeats it). Return a numpy array: compute it with array "
                "operations, or turn your list into one with np.array(...)")
NOT_A_PLAIN_ARRAY = ("an array came back as a {kind}, a subclass of numpy's array that later code cannot use as one: "
                     "for an np.matrix `*` is a matrix product and a masked array hides the entries it masks (NaN "
                     "among them). Return a plain numpy array: np.asarray(...)")


def array_problem(value: Any) -> str | None:
    """The message for a result that should be a plain numpy array, or None when it is one."""
    if not isinstance(value, np.ndarray):
        return t(NOT_AN_ARRAY, kind=type(value).__name__)
    if isinstance(value, (np.matrix, np.ma.MaskedArray)):
        return t(NOT_A_PLAIN_ARRAY, kind=type(value).__name__)
    return None


def _kind_problem(got: Any, want: Any) -> str | None:
    """The message for a result of another kind than the reference's: a tensor for a tensor, a plain numpy array
    (or a tensor) for an array of one or more axes."""
    if hasattr(want, "detach") and not hasattr(got, "detach") and got is not None:
        return t("expected a torch tensor, got {kind}: return the tensor itself, without .numpy(), .tolist() or "
                 ".item(), so that later code can keep computing with it", kind=type(got).__name__)
    if type(want) is np.ndarray and want.ndim and got is not None and to_numpy(got) is got:
        return array_problem(got)   # (a tensor is compared as the array it holds)
    return None


def compare_values(got: Any, want: Any, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Raise ``Mismatch`` with a clear message unless ``got`` matches ``want``: the same values within the
    tolerances, and of the same kind (a plain numpy array or a tensor, whole numbers)."""
    problem = _kind_problem(got, want)
    if problem:
        raise Mismatch(problem)
    got, want = to_numpy(got), to_numpy(want)
    if got is None:
        raise Mismatch(t("the function returned None. Did you forget `return`?"))
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            raise Mismatch(t("expected {count} results (a {kind}), got {got}",
                             count=len(want), kind=type(want).__name__, got=short(got)))
        for i, (g, w) in enumerate(zip(got, want)):
            try:
                compare_values(g, w, rtol, atol)
            except Mismatch as m:
                raise Mismatch(t("result #{number}: {problem}", number=i + 1, problem=m)) from None
        return
    if _whole(want) and _whole(got):  # Python ints of any size, compared exactly (no int64 or float in between)
        if int(got) != int(want):
            raise Mismatch(t("wrong value{at}: expected {want}, got {got}", at="", want=int(want), got=int(got)))
        return
    try:
        got_arr = np.asarray(got)
    except Exception:
        raise Mismatch(t("expected a number or array, got {kind}", kind=type(got).__name__)) from None
    want_arr = np.asarray(want)
    if got_arr.dtype.kind not in "biuf":
        raise Mismatch(t("expected numbers, got values of type {dtype} ({got})", dtype=got_arr.dtype, got=short(got)))
    if (np.isscalar(want) or want_arr.ndim == 0) and (isinstance(got, (tuple, list)) or got_arr.ndim != 0):
        # one value in a 1-tuple, a list or an array of shape (1,) is not a number: an f-string's :.3f, == 65 and
        # the lessons' later cells fail on it
        raise Mismatch(t("expected a single number, got one value in a {kind} of shape {shape}: return the number "
                         "itself (a comma after `return x` makes a tuple; np.atleast_1d, keepdims=True, ndmin=1, "
                         "np.zeros(1) or a row w[None, :] make an array)", kind=type(got).__name__, shape=got_arr.shape)
                       if got_arr.size == 1 else t("expected a single number, got an array of shape {shape}",
                                                   shape=got_arr.shape))
    if got_arr.shape != want_arr.shape:
        raise Mismatch(t("wrong shape: expected {want}, got {got}", want=want_arr.shape, got=got_arr.shape))
    if want_arr.dtype.kind == "f" and got_arr.dtype.kind != "f":
        raise Mismatch(t("expected floating-point values, got dtype {dtype}", dtype=got_arr.dtype))
    if want_arr.dtype.kind in "iu" and got_arr.dtype.kind == "f":
        raise Mismatch(t("expected whole numbers (integers), got floats ({got}): a count, a size or a class index "
                         "is an int. Use // for a division that must come out whole, or int(...)", got=short(got)))
    bad_finite = ~np.isfinite(got_arr.astype(float)) & np.isfinite(want_arr.astype(float))
    if bad_finite.any():
        idx = _first(bad_finite)
        raise Mismatch(t("got a non-finite value (NaN or inf){at}: expected {want}, got {got}",
                         at=_at(idx), want=_item(want_arr, idx), got=_item(got_arr, idx)))
    if want_arr.dtype.kind in "iu":  # whole numbers are exact: a count off by one in a million is still wrong
        close = _same_integers(got_arr, want_arr)
    else:
        close = np.isclose(got_arr.astype(float), want_arr.astype(float), rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        idx = _first(~close)
        want, got = _told_apart(want_arr[idx], got_arr[idx])
        raise Mismatch(t("wrong value{at}: expected {want}, got {got}", at=_at(idx), want=want, got=got))


def _whole(value: Any) -> bool:
    """A single whole number: a Python or numpy int, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _same_integers(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Where two arrays of whole numbers hold the same values, exactly (no float conversion, which rounds above
    2**53, and no wrap-around between signed and unsigned types)."""
    if got.dtype.kind == want.dtype.kind or got.dtype.kind == "b":
        return np.asarray(got == want)
    return np.asarray(got.astype(object) == want.astype(object), dtype=bool)


_SMALL_PROBABILITY = ("wrong value{at}: expected {want}, got {got}. A probability far below 1 must come out right to "
                     "within 0.1 % or {atol}, not only to within 1e-8, because a later log reads it (log(1e-12) is "
                     "-27.6, log(4e-18) is -40): do not round the outputs, do not floor them (np.clip(p, 1e-12, 1), "
                     "even at 1e-15), do not add a small number to them and do not clip the logits (np.clip(z, -30, "
                     "30))")


_BELOW_1E_40 = ("wrong value{at}: expected {want}, below 1e-40, got {got}: z (the logits) was clipped (np.clip(z, -88, "
                "88), sized for float32's overflow, still gives 6e-39) or the result floored. The stable sigmoid never "
                "overflows and needs no clip")


def compare_probabilities(got, want, atol=1e-15):
    """compare_values, and then every value within 0.1 % or ``atol`` (1e-15 unless a check asks for less): the
    tolerance of 1e-8 alone passes a probability far below 1 as 0 (rounded to 8 decimals), floored at 1e-12, or
    computed from logits clipped at -30. Arithmetic in float32 (which a check accepts) stays far inside it, and so does
    a form computed as 1 minus a number next to 1, such as 0.5 + 0.5 * np.tanh(z / 2), whose error is float64's step
    next to 1, about 1e-16 (below 5e-17 where the probability is under 1e-3). Where the value lies below 1e-40 the
    result must lie there too, or within 0.1 %: the tanh form gives 0 there and float32 its own subnormal values,
    while z clipped anywhere from 36 to 92 (88: float32's overflow) gave 2e-16 to 1e-40 and passed ``atol`` (round
    21)."""
    compare_values(got, want)
    g, w = np.asarray(to_numpy(got), dtype=float), np.asarray(to_numpy(want), dtype=float)
    off = ~np.isclose(g, w, rtol=1e-3, atol=atol, equal_nan=True)
    if off.any():
        idx = _first(off)
        raise Mismatch(t(_SMALL_PROBABILITY, at=_at(idx), want=_item(w, idx), got=_item(g, idx), atol=f"{atol:g}"))
    off = (w < 1e-40) & (g > 1e-40) & ~np.isclose(g, w, rtol=1e-3, atol=0)
    if off.any():
        idx = _first(off)
        raise Mismatch(t(_BELOW_1E_40, at=_at(idx), want=_item(w, idx), got=_item(g, idx)))


def _first(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()


def _at(idx: tuple) -> str:
    return t(" at index {index}", index=idx if len(idx) > 1 else idx[0]) if idx else ""


def _item(arr: np.ndarray, idx: tuple) -> str:
    return f"{arr[idx]:.6g}" if arr.dtype.kind == "f" else str(arr[idx])


def _told_apart(want: Any, got: Any) -> tuple[str, str]:
    """Two numbers with 6 significant digits, or as many more as it takes to show that they differ."""
    if not all(isinstance(v, (float, np.floating)) for v in (want, got)):
        return str(want), str(got)
    digits = next((d for d in range(6, 18) if f"{want:.{d}g}" != f"{got:.{d}g}"), 17)
    return f"{want:.{digits}g}", f"{got:.{digits}g}"


def short(value: Any, limit: int = 60) -> str:
    """``value`` in at most ``limit`` characters, for messages (arrays and tensors summed up)."""
    kind = "tensor" if hasattr(value, "detach") else "array"
    try:
        value = to_numpy(value)
    except Exception:  # e.g. a tensor type numpy cannot hold
        return f"a {type(value).__name__}"
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, threshold=6, separator=", ").replace("\n", "")
        text = f"{kind}{value.shape} {text}" if value.size > 6 or len(text) > limit or kind == "tensor" else text
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def same_numpy_state(a, b) -> bool:
    """Whether two np.random.get_state() tuples are the same state."""
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


def random_left_alone(call, generators=RANDOM_GENERATORS):
    """``call()`` (an answer that needs no random numbers from ``generators``: numpy's, Python's random module and,
    once imported, torch's global generators), with those put back afterwards; a Mismatch if it changed any of
    them (each is moved on first, so that a seed(...) shows as a change). What the answer's import statements draw while
    they load a module is put back (a library may draw at import: that is not the answer's doing)."""
    torch = sys.modules.get("torch") if "torch" in generators else None
    kinds = {"numpy": (np.random.get_state, np.random.set_state, np.random.random, same_numpy_state),
             "python": (random.getstate, random.setstate, random.random, tuple.__eq__)}
    if torch:
        kinds["torch"] = (torch.random.get_rng_state, torch.random.set_rng_state, lambda: torch.rand(1), torch.equal)
    kinds = [kinds[g] for g in generators if g in kinds]
    states = [get() for get, _, _, _ in kinds]
    real_import = builtins.__import__

    def import_leaving_random_alone(*args, **kwargs):
        """An import statement of the answer: a library that draws random numbers while it is first loaded (rich.style
        draws from Python's, and sklearn.metrics loads it) is not the answer changing a generator."""
        before = [get() for get, _, _, _ in kinds]
        try:
            return real_import(*args, **kwargs)
        finally:
            for (_, put, _, _), state in zip(kinds, before):
                put(state)
    try:
        markers = []
        for get, _, draw, _ in kinds:
            draw()
            markers.append(get())
        builtins.__import__ = import_leaving_random_alone
        try:
            result = call()
        finally:
            builtins.__import__ = real_import
        changed = not all(same(marker, get()) for (get, _, _, same), marker in zip(kinds, markers))
    finally:
        for (_, put, _, _), state in zip(kinds, states):
            put(state)
    if changed:
        raise Mismatch(t(RANDOM_CHANGED))
    return result


_IMPORT_FOR_THE_CHECK = next(code for code in random_left_alone.__code__.co_consts
                             if getattr(code, "co_name", "") == "import_leaving_random_alone")
_IMPORTS = {importlib.import_module.__code__: lambda names: names["name"],   # the name each imports, by its code
            _FIND_AND_LOAD: lambda names: names["name"],
            importlib.util.find_spec.__code__: lambda names: names["name"],
            _BOOTSTRAP["_find_spec"].__code__: lambda names: names["name"],
            _BOOTSTRAP["module_from_spec"].__code__: lambda names: getattr(names["spec"], "name", "?"),
            # round 36 (r366 E1): scipy's compiled BLAS module made from its file by the loader itself
            importlib.machinery.ExtensionFileLoader.create_module.__code__:
                lambda names: getattr(names["spec"], "name", "?")}
_EXTERNAL = vars(sys.modules["importlib._bootstrap_external"])
_GUARD = vars(sys.modules[guarded.__module__])
_REAL_IMPORT = builtins.__import__
# Round 35: what tells the answer that it is being checked, from the watch's profile function or the frames above it
# (r351 E1, r354 E1, r356 E1: right only while checked), and standard-library functions that look a loaded library up
# for the answer by a name it gives them (r353 E1: scikit-learn's Cython loss found by inspect.getmodule)
_C_PROBES = {sys.getprofile: ("sys.getprofile", None, "probe"), sys.gettrace: ("sys.gettrace", None, "probe"),
             # round 36 (r362 E1): the guard's time limit read (or changed) by the answer
             **{function: (f"signal.{function.__name__}", None, "probe")
                for function in (getattr(_signal, name) for name in
                                 ("getsignal", "signal", "getitimer", "setitimer", "alarm") if hasattr(_signal, name))},
             # round 36 (r366 E1): a compiled module made from its file past the import system
             **{function: (f"_imp.{function.__name__}", None, "lookup")
                for function in (_imp.create_dynamic, _imp.exec_dynamic, _imp.create_builtin, _imp.exec_builtin)}}
_PROBES = {**{function.__code__: (f"{function.__module__}.{function.__qualname__}", None, "probe")
              for function in (traceback.extract_stack, traceback.walk_stack, traceback.format_stack,
                               traceback.print_stack, inspect.stack, inspect.getouterframes, inspect.trace,
                               threading.getprofile, threading.gettrace)},
           **{function.__code__: (f"{function.__module__}.{function.__qualname__}", None, "lookup")
              for function in (inspect.getmodule, typing.get_type_hints, typing._eval_type,
                               typing.ForwardRef._evaluate)}}


RANDOM_CHANGED = ("your function changed a global random generator (np.random.seed, np.random.permutation, "
                  "random.seed, torch.manual_seed, torch.randn, ...), so every later random number of the notebook "
                  "(shuffles, initial weights, dropout) changes with it. This function needs no random numbers: "
                  "leave the global generators alone")
