"""Run learner code so that nothing it does can take the notebook down.

``guarded(fn, ...)`` calls ``fn`` under a time limit, with its printed output captured
(and capped), with numpy's error state and the warning filters reset to known values,
with torch's global settings, numpy's error handling and print options, and a blanket warning filter put back
afterwards (a change is reported), and with every exception caught,
``SystemExit`` included. It returns an ``Outcome``.
"""
from __future__ import annotations

import contextlib
import ctypes
import io
import operator
import signal
import sys
import threading
import time
import types
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .i18n import t

OUTPUT_LIMIT = 2000  # characters of printed output kept per check


class SettingChanged(Exception):
    """Learner code left a global setting of torch, numpy or the warning filters changed (it was put back)."""


class ProcessStarted(SettingChanged):
    """Learner code started another process, where the check cannot see what runs (the course's own version)."""


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
    """Raise ``TimeUp`` in this thread after ``seconds``; an import running then runs to its end (at most
    ``IMPORT_GRACE`` later), and the answer then gets ``seconds`` again for its own work: a first ``import torch``
    inside an answer takes 1 to 5 s, and an import cut halfway leaves the library broken in the kernel. (Round 23:
    cut at its next instruction after the import, sgd_step by torch.optim.SGD, whose first call imports
    torch._dynamo, was told "Is there an endless loop?" in a fresh kernel.)

    With a timer signal (``signal.setitimer``: Linux, macOS, in the main thread) even a blocking
    call such as ``time.sleep`` is cut. Elsewhere (Windows, or another thread) a watchdog thread
    raises ``TimeUp`` in this thread between two Python instructions, which stops any Python loop.
    """
    if not seconds:
        yield
    elif hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        with _signal_timer(seconds):
            yield
    else:
        with _watchdog(seconds):
            yield


IMPORT_GRACE = 60.0  # seconds an import may run on past a time limit
_LOOK_AGAIN = 0.1    # seconds between two looks at whether the import has ended


def _importing(frame: types.FrameType | None) -> bool:
    """Whether ``frame`` or a frame below it on the stack is importing a module."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


_NOT_CUT: set = set()   # code objects that TimeUp must not interrupt (``not_cut``)
_MOMENT = 0.001        # seconds until the next look, when time ran out inside one of them
_MOMENTS = 1000        # looks at most, then TimeUp all the same


def not_cut(code: types.CodeType) -> None:
    """Have the time limit wait until no frame of ``code`` runs before it raises TimeUp: the numpy-only rule's profile
    function, whose error would turn the profile off (CPython does, and the audit event it raises looks like the
    answer's own sys.setprofile). Round 30 (r303 E2): a slow answer was told it called sys.setprofile in half its
    runs. Under the watchdog (Windows, a thread not the main one) the look and the raise are two steps: rarer there,
    not ruled out."""
    _NOT_CUT.add(code)


def _running_one_not_cut(frame: types.FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code in _NOT_CUT:
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def _signal_timer(seconds: float):
    last, waited, ended, moments = time.monotonic() + seconds + IMPORT_GRACE, [False], [False], [0]

    def on_alarm(signum, frame):
        if ended[0]:   # an alarm that went off as the block ended: set no new timer (under the default handler
            return     # put back, its signal would end the process) and raise nothing
        if _importing(frame) and time.monotonic() < last:
            waited[0] = True
            signal.setitimer(signal.ITIMER_REAL, _LOOK_AGAIN)
            return
        if waited[0]:   # the import ran past the limit and has ended: the answer's own work gets the limit again
            waited[0] = False
            signal.setitimer(signal.ITIMER_REAL, seconds)
            return
        if moments[0] < _MOMENTS and _running_one_not_cut(frame):
            moments[0] += 1
            signal.setitimer(signal.ITIMER_REAL, _MOMENT)
            return
        raise TimeUp()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            ended[0] = True
        finally:   # runs even when an alarm due just before raised TimeUp here
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _raise_in(thread_id: int, error: type[BaseException]) -> None:
    """Make ``thread_id`` raise ``error`` at its next Python instruction."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(error))


class _Dropped(Exception):
    """Replaces a pending TimeUp and is caught at once (``_drop_pending``)."""


def _drop_pending() -> None:
    """Drop a TimeUp pending for this thread. Taking it back with PyThreadState_SetAsyncExc(id, NULL) left CPython
    3.11's interpreter-wide flag of a pending exception on for good: every later profiled call then stopped at its first
    instruction, and the next numpy-only check hung for ever (found in the lowest versions' CI run). Replaced and
    raised here, the pending exception clears the flag."""
    try:
        _raise_in(threading.get_ident(), _Dropped)
        for _ in range(2):   # a backward jump: the eval loop raises a pending exception here at the latest
            pass
    except _Dropped:
        pass


@contextlib.contextmanager
def _watchdog(seconds: float):
    target, lock = threading.get_ident(), threading.Lock()
    state = {"done": False, "fired": False, "waited": False, "moments": 0}
    last = time.monotonic() + seconds + IMPORT_GRACE

    def start(delay):
        state["timer"] = threading.Timer(delay, fire)
        state["timer"].daemon = True
        state["timer"].start()

    def fire():
        with lock:
            if state["done"]:
                return
            frame = sys._current_frames().get(target)
            if _importing(frame) and time.monotonic() < last:
                state["waited"] = True
                start(_LOOK_AGAIN)
                return
            if state["waited"]:   # as in _signal_timer: after an import past the limit, the limit again
                state["waited"] = False
                start(seconds)
                return
            if state["moments"] < _MOMENTS and _running_one_not_cut(frame):   # as in _signal_timer
                state["moments"] += 1
                start(_MOMENT)
                return
            state["fired"] = True
            _raise_in(target, TimeUp)

    start(seconds)
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            state["timer"].cancel()
            if state["fired"]:
                _drop_pending()  # finished just as time ran out: no TimeUp may surface later


def _ignore_numpy_error(kind: str, flag: int) -> None:
    """numpy's floating-point errors go here while learner code runs, and are dropped."""


@contextlib.contextmanager
def known_numeric_state():
    """numpy errors passed to a function that does nothing, and warnings silenced, whatever np.seterr or the
    filters say outside. ("call", not "ignore": an answer's np.seterr(all="ignore") must show as a change.)"""
    with np.errstate(all="call", call=_ignore_numpy_error), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# the hooks torch.nn.modules.module.register_module_forward_hook (and its pre- and backward twins) put on every module
_GLOBAL_MODULE_HOOKS = ("_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks",
                        "_global_backward_pre_hooks")


def _global_module_hooks(torch) -> tuple:
    """The handles' ids of torch's global module hooks, one frozenset per kind."""
    module = getattr(getattr(getattr(torch, "nn", None), "modules", None), "module", None)
    return tuple(frozenset(getattr(module, name, None) or ()) for name in _GLOBAL_MODULE_HOOKS)


def _torch_settings() -> tuple:
    """torch's global gradient mode, default dtype, anomaly detection, deterministic algorithms (with their
    warn-only flag), global module hooks and its other global switches (``_torch_switches``); its defaults while it
    is not imported (the switches None: unknown, and not compared)."""
    torch = sys.modules.get("torch")
    return (True, "torch.float32", False, (False, False), (frozenset(),) * len(_GLOBAL_MODULE_HOOKS), None) \
        if torch is None else (
        torch.is_grad_enabled(), str(torch.get_default_dtype()), torch.is_anomaly_enabled(),
        (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()),
        _global_module_hooks(torch), _torch_switches(torch))


def _denormals_flushed(torch) -> bool:
    """Whether torch.set_flush_denormal(True) is in force (it has no getter): a subnormal float32 times 1 is 0."""
    return torch.tensor(1e-40, dtype=torch.float32).mul(1.0).item() == 0.0


def _torch_switches(torch) -> tuple:
    """(name, value) of torch's global switches that change later numbers or speed and have no block form to
    use instead: float32 matrix products (TF32 or bfloat16 on request), autograd's threads, subnormal numbers
    flushed to 0, and cuDNN's benchmark, deterministic and TF32 flags."""
    cudnn = torch.backends.cudnn
    return (("torch.set_float32_matmul_precision", torch.get_float32_matmul_precision()),
            ("torch.autograd.set_multithreading_enabled", torch.autograd.is_multithreading_enabled()),
            ("torch.set_flush_denormal", _denormals_flushed(torch)),
            ("torch.backends.cudnn.benchmark", bool(cudnn.benchmark)),
            ("torch.backends.cudnn.deterministic", bool(cudnn.deterministic)),
            ("torch.backends.cudnn.allow_tf32", bool(cudnn.allow_tf32)))


def _restore_torch_switches(torch, switches: tuple) -> None:
    values = dict(switches)
    torch.set_float32_matmul_precision(values["torch.set_float32_matmul_precision"])
    torch.autograd.set_multithreading_enabled(values["torch.autograd.set_multithreading_enabled"])
    torch.set_flush_denormal(values["torch.set_flush_denormal"])
    for name in ("benchmark", "deterministic", "allow_tf32"):
        setattr(torch.backends.cudnn, name, values[f"torch.backends.cudnn.{name}"])


def _restore_torch_settings(settings: tuple) -> None:
    torch = sys.modules["torch"]
    torch.set_grad_enabled(settings[0])
    torch.set_default_dtype(getattr(torch, settings[1].removeprefix("torch.")))
    torch.autograd.set_detect_anomaly(settings[2])
    torch.use_deterministic_algorithms(settings[3][0], warn_only=settings[3][1])
    for name, kept in zip(_GLOBAL_MODULE_HOOKS, settings[4]):   # a hook the function added is removed
        hooks = getattr(torch.nn.modules.module, name, None)
        for key in [key for key in (hooks or ()) if key not in kept]:
            del hooks[key]
    if settings[5] is not None:
        _restore_torch_switches(torch, settings[5])


NUMPY_ERRORS_CHANGED = ("your function changed numpy's error handling (np.seterr) for the rest of the notebook. "
                        "The check put it back; use a `with np.errstate(...):` block, which ends with it")


WARNINGS_CHANGED = ("your function changed Python's warning filters (warnings.simplefilter, warnings.filterwarnings or "
                    "warnings.resetwarnings) for the rest of the notebook, which hides or raises every later warning. "
                    "The check put them back; use a `with warnings.catch_warnings():` block, which ends with it")
PRINT_OPTIONS_CHANGED = ("your function changed how numpy prints arrays (np.set_printoptions) for the rest of the "
                         "notebook. The check put it back; use a `with np.printoptions(...):` block, which ends with it")


def _blanket_filters(filters: list) -> list:
    """The warning filters that catch every warning of a built-in kind (as simplefilter, filterwarnings("ignore")
    or filterwarnings("ignore", category=RuntimeWarning) add them); libraries, when they are first imported, add
    only narrow ones: for one message, one module or a warning class of their own."""
    return [f for f in filters if f[1] is None and f[3] is None and f[2].__module__ == "builtins"]


def _setting_changed(before: tuple, after: tuple) -> SettingChanged:
    if before[5] != after[5]:
        return SettingChanged(t("your function changed a global switch of torch ({names}) for the rest of the "
                                "notebook, which changes the numbers or the speed of every later computation. The "
                                "check put it back; set such a switch once at the top of a notebook if you need it, "
                                "not inside an exercise",
                                names=", ".join(name for (name, value), (_, now) in zip(before[5], after[5])
                                                if value != now)))
    if before[4] != after[4]:
        return SettingChanged(t("your function left a global hook on every module (torch.nn.modules.module."
                                "register_module_forward_hook or one of its twins): it runs in every later call of "
                                "every model, in every later cell. The check removed it; keep the handle it returns "
                                "and call handle.remove() before returning, or use no hook"))
    if before[2] != after[2]:
        return SettingChanged(t("your function switched torch's anomaly detection (torch.autograd.set_detect_anomaly) "
                                "on for the rest of the notebook, which slows every backward pass down. The check "
                                "switched it back; use a `with torch.autograd.detect_anomaly():` block while you debug"))
    if before[3] != after[3]:
        return SettingChanged(t("your function changed torch.use_deterministic_algorithms for the rest of the "
                                "notebook, which makes some operations slower or raise. The check put it back; set it "
                                "once at the top of a notebook if you need it, not inside an exercise"))
    if before[0] != after[0]:
        return SettingChanged(t("your function changed gradient tracking (torch.set_grad_enabled) for the rest of "
                                "the notebook. The check switched it back; use a `with torch.no_grad():` block, "
                                "which restores it by itself"))
    return SettingChanged(t("your function changed torch's default dtype to {dtype} for the rest of the notebook "
                            "(torch.set_default_dtype). The check put it back; convert your own tensors instead "
                            "(x.float())", dtype=after[1]))


# the modules whose functions the checks themselves call after (or while) an answer runs; not torch's, which its own
# setters rebind (torch.set_default_dtype rebinds torch.Storage, the first import of torch._dynamo torch.manual_seed)
_WATCHED_MODULES = ("builtins", "numpy", "numpy.linalg", "numpy.random", "numpy.testing")


_watched_cache: list = [-1, []]   # the number of imported modules, and the watched ones among them


def watched_modules() -> list:
    """Python's builtins, numpy's and the course's own modules: the ones whose functions the checks call; and, once
    torch is imported, torch.autograd and the classes torch.Tensor and torch.nn.Module (round 18: torch.autograd.grad
    or Tensor.numpy replaced made the references' gradients zeros; torch's own namespace stays out, see above)."""
    if _watched_cache[0] != len(sys.modules):   # a new import: look the modules up again
        torch = sys.modules.get("torch")
        autograd, nn = sys.modules.get("torch.autograd"), sys.modules.get("torch.nn")
        _watched_cache[:] = [len(sys.modules), [
            module for name, module in list(sys.modules.items())
            if module is not None and (name in _WATCHED_MODULES or name.split(".")[0] == "course_utils")] + [
            holder for holder in (autograd, getattr(torch, "Tensor", None), getattr(nn, "Module", None))
            if holder is not None]]
    return _watched_cache[1]


def watched_name(holder) -> str:
    """A watched module's name, or a watched class's full name (torch.Tensor)."""
    if isinstance(holder, types.ModuleType):
        return holder.__name__
    return {"Tensor": "torch.Tensor", "Module": "torch.nn.Module"}.get(holder.__name__,
                                                                      f"{holder.__module__}.{holder.__qualname__}")


def _watched_namespaces() -> list:
    """(module, a copy of its namespace) for each of ``watched_modules()``."""
    return [(module, dict(vars(module))) for module in watched_modules()]


def _put_back_replaced(namespaces: list) -> list[str]:
    """Put back every function or class of ``namespaces`` that was replaced or deleted since, and every other value
    of the course's own modules (the course never rebinds one: ``checks.WRONG = checks.PASSED`` made a wrong answer
    pass, round 18); their names."""
    replaced = []
    for module, before in namespaces:
        now = vars(module)
        if len(now) >= len(before) and not any(map(operator.is_not, before.values(), now.values())):
            continue                                   # the usual case, checked in C: nothing rebound
        course = module.__name__.split(".")[0] == "course_utils"
        for key, value in before.items():
            if now.get(key, _MISSING) is value or isinstance(value, types.ModuleType) \
                    or not (callable(value) or course and not key.startswith("__")):
                continue
            setattr(module, key, value)
            replaced.append(f"{watched_name(module)}.{key}")
    return replaced


_MISSING = object()

PROCESS_STARTED = ("your function started another process ({event}): a check sees only what runs in this one, so an "
                   "answer may not hand its work to a worker (multiprocessing, subprocess, os.system). Compute the "
                   "result in your function itself")
_PROCESS_EVENTS = frozenset({"os.fork", "os.forkpty", "os.posix_spawn", "os.exec", "os.spawn", "os.system",
                             "subprocess.Popen"})   # the audit events of a new process (multiprocessing's "spawn" and
# "forkserver" start methods raise none on Python 3.11: its processes are refused as they start, below)
_refusing_new_processes: list = []   # [True] once the hook and the wrapper are in place
_running: list = []   # one entry per guarded call under way
_started: list = []   # what was refused while one was


_LISTENERS: dict = {}   # an audit event's name -> a function of its arguments (``listen``)


def _refuse_a_new_process(event: str, args: tuple) -> None:
    """The audit hook: a new process started while a guarded call runs is refused (``_refuse``); an event that has a
    listener goes to it. One hook for all: Python calls each hook at every audit event, and one check of lesson 04
    raises over a million (``id()``, a frame's attributes)."""
    if event in _PROCESS_EVENTS and _running:
        _refuse(event)
    elif event in _LISTENERS:
        _LISTENERS[event](args)


def listen(event: str, listener: Callable[[tuple], None]) -> None:
    """Have the audit hook call ``listener(args)`` at each audit event named ``event``."""
    if not _refusing_new_processes:
        _refuse_new_processes()
    _LISTENERS[event] = listener


def _refuse(what: str) -> None:
    """Refuse ``what`` unless a library does it while it is imported (ctypes.util.find_library runs ldconfig), which the
    answer does not choose."""
    if _importing(sys._getframe(1)):
        return
    _started.append(what)
    raise ProcessStarted(t(PROCESS_STARTED, event=what))


def _refused_in_a_check(start: Callable) -> Callable:
    """multiprocessing's ``BaseProcess.start``, refused while a guarded call runs, whatever the start method."""
    def checked_start(process):
        if _running:
            _refuse(f"multiprocessing, {type(process).__name__}.start")
        return start(process)
    return checked_start


def _refused_while_checking(fork_exec: Callable) -> Callable:
    """``_posixsubprocess.fork_exec``, refused while a guarded call runs: it raises no audit event of its own, and
    ``multiprocessing.util.spawnv_passfds`` calls it directly (round 31, r312 E1: a Python process started inside the
    answer computed sigmoid_derivative with scipy)."""
    def checked_fork_exec(*args, **kwargs):
        if _running:
            _refuse("_posixsubprocess.fork_exec")
        return fork_exec(*args, **kwargs)
    return checked_fork_exec


def _refuse_new_processes() -> None:
    """Put the hook and the wrappers in place, once: an audit hook cannot be removed."""
    import multiprocessing.process

    sys.addaudithook(_refuse_a_new_process)
    base = multiprocessing.process.BaseProcess
    base.start = _refused_in_a_check(base.start)
    if sys.platform != "win32":
        import _posixsubprocess
        _posixsubprocess.fork_exec = _refused_while_checking(_posixsubprocess.fork_exec)
    _refusing_new_processes.append(True)


FUNCTION_REPLACED = ("your function replaced {names} for the rest of the notebook (an assignment such as "
                     "np.allclose = ...), which changes every later use of it, this check's own comparisons "
                     "included. The check put it back; give a function of your own a name of its own")


def guarded(fn: Callable, *args, limit: float | None = None, output: CappedOutput | None = None,
            **kwargs) -> Outcome:
    """Call ``fn(*args, **kwargs)`` safely and report what happened; a changed torch setting is an error."""
    sink, settings = output if output is not None else CappedOutput(), _torch_settings()
    namespaces = _watched_namespaces()
    if not _refusing_new_processes:
        _refuse_new_processes()
    started = len(_started)
    _running.append(fn)
    numpy_errors_changed = warnings_changed = False
    print_options = np.get_printoptions()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), known_numeric_state():
            numpy_errors, filters = np.geterr(), list(warnings.filters)
            try:
                with time_limit(limit):
                    outcome = Outcome(value=fn(*args, **kwargs))
            finally:   # the errstate and catch_warnings blocks put numpy's errors and the filters back as they end
                numpy_errors_changed = np.geterr() != numpy_errors
                warnings_changed = (_blanket_filters(warnings.filters) != _blanket_filters(filters)
                                    or not set(map(id, filters)) <= set(map(id, warnings.filters)))
    except TimeUp:
        outcome = Outcome(timed_out=True)
    except KeyboardInterrupt:
        outcome = Outcome(interrupted=True)
    except BaseException as exc:  # SystemExit, GeneratorExit and every Exception: learner code may do anything
        outcome = Outcome(error=exc)
    finally:
        _running.pop()
    replaced = _put_back_replaced(namespaces)
    left = _torch_settings()
    if settings[5] is None:   # torch was imported during the call: its switches before it are unknown
        left = (*left[:5], None)
    if left != settings:
        _restore_torch_settings(settings)
        if outcome.ok or outcome.error is not None:
            outcome = Outcome(error=_setting_changed(settings, left))
    elif outcome.ok or outcome.error is not None:
        if numpy_errors_changed:
            outcome = Outcome(error=SettingChanged(t(NUMPY_ERRORS_CHANGED)))
        elif warnings_changed:
            outcome = Outcome(error=SettingChanged(t(WARNINGS_CHANGED)))
        elif np.get_printoptions() != print_options:
            outcome = Outcome(error=SettingChanged(t(PRINT_OPTIONS_CHANGED)))
    if np.get_printoptions() != print_options:
        np.set_printoptions(**print_options)
    if replaced and (outcome.ok or outcome.error is not None):
        outcome = Outcome(error=SettingChanged(t(FUNCTION_REPLACED, names=", ".join(replaced))))
    if len(_started) > started and (outcome.ok or outcome.error is not None):   # even where the answer caught it
        outcome = Outcome(error=ProcessStarted(t(PROCESS_STARTED, event=_started[-1])))
    return outcome
