"""Run learner code so that nothing it does can take the notebook down.

``guarded(fn, ...)`` calls ``fn`` under a time limit, with its printed output captured
(and capped), with numpy's error state and the warning filters reset to known values,
and with every exception caught, ``SystemExit`` included. It returns an ``Outcome``.
"""
from __future__ import annotations

import contextlib
import io
import signal
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

OUTPUT_LIMIT = 2000  # characters of printed output kept per check


class TimeUp(BaseException):
    """Raised inside learner code when its time limit is over (a BaseException, so `except Exception` misses it)."""


@dataclass
class Outcome:
    """What a guarded call did: its ``value``, or the ``error`` it raised, or that it ran out of time."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out and not self.interrupted


class CappedOutput(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int = OUTPUT_LIMIT):
        self.limit, self.kept, self.total = limit, [], 0

    def write(self, text: str) -> int:
        room = self.limit - min(self.total, self.limit)
        if room:
            self.kept.append(text[:room])
        self.total += len(text)
        return len(text)

    def summary(self) -> str:
        """The captured text once, with a note when some of it was cut."""
        text = "".join(self.kept)
        if self.total > self.limit:
            text += f"\n   ... (cut: {self.total:,} characters printed in all)"
        return text


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Raise ``TimeUp`` in this thread after ``seconds`` (where the platform allows a timer signal)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise TimeUp()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def known_numeric_state():
    """numpy errors ignored and warnings silenced, whatever np.seterr or the filters say outside."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def guarded(fn: Callable, *args, limit: float | None = None, output: CappedOutput | None = None,
            **kwargs) -> Outcome:
    """Call ``fn(*args, **kwargs)`` safely and report what happened."""
    sink = output if output is not None else CappedOutput()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), known_numeric_state():
            with time_limit(limit):
                return Outcome(value=fn(*args, **kwargs))
    except TimeUp:
        return Outcome(timed_out=True)
    except KeyboardInterrupt:
        return Outcome(interrupted=True)
    except BaseException as exc:  # SystemExit, GeneratorExit and every Exception: learner code may do anything
        return Outcome(error=exc)
