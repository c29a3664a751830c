"""The graded release: what learners of a graded class receive, with the answer key left out.

    python -m course_utils.teacher.release 01a_neurons_and_activations [02a_layers_and_mlp ...] --out DIR   # make release

Each lesson gets a release of its own, ``DIR/<lesson>/``: ``lessons/`` holds the learner notebook and
``course_utils/`` the package, without the teacher's tools and, for each exercise of that lesson, without
the code of its reference solution, of its test inputs and of its catalogued mistakes: those functions
keep their names, and their bodies only raise, except a reference that the course's own code also uses
(``neurons.sigmoid``): it calls the learner's answer (``checks.call_answer``), so the lesson runs on with
the learner's work. One release per lesson, because a later lesson's code runs an earlier lesson's
reference (lesson 02b's ``mlp.forward`` calls ``sigmoid``), and its kernel holds no answer to lesson 01a.
``course_utils/exercises/recorded.json`` holds what ``check()`` needs instead: the exercise's public
cases (the first half of them) with the reference's and each mistake's outcomes on them, as plain data.
The other cases stay hidden: only the grader has them. There is no ``solutions/``. The grader runs
every kernel on its lesson's release (``teacher.grade``).
"""
from __future__ import annotations

import argparse
import ast
import builtins
import copy
import dis
import functools
import importlib
import inspect
import json
import shutil
import sys
import textwrap
import types
from pathlib import Path

import nbformat

from ..checks import runner_of
from ..exercises import get_exercise
from ..exercises.base import HIDDEN, Case
from ..guard import guarded
from ..marking import plain_outcome
from ..plaindata import NotPlain, to_plain
from .generate import make_lesson
from .notebook_format import exercise_bindings

COURSE_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = COURSE_ROOT / "course_utils"
LEFT_OUT = ("teacher", "generate.py", "grade.py", "__pycache__", "recorded.json")


class ReleaseError(ValueError):
    """A lesson whose exercises cannot be released graded (their inputs are not plain data)."""


def public_cases(cases: list[Case]) -> list[Case]:
    """The cases a release shows: the first half, at least one."""
    return cases[:max(1, len(cases) // 2)]


def build_release(lesson: str, out: Path, solutions: Path = COURSE_ROOT / "solutions") -> Path:
    """Write the graded release of ``lesson`` into ``out``; return ``out``."""
    names = list(exercise_bindings(solutions / f"{lesson}.ipynb"))
    recorded = {name: _record(name) for name in names}
    if out.exists():
        shutil.rmtree(out)
    package = out / "course_utils"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns(*LEFT_OUT))
    _hide_functions(package, {f: name for name in names for f in _answer_code(name)})
    (package / "exercises" / "recorded.json").write_text(json.dumps(recorded), encoding="utf-8")
    (out / "lessons").mkdir()
    solution = nbformat.read(solutions / f"{lesson}.ipynb", as_version=4)
    nbformat.write(make_lesson(solution, f"solutions/{lesson}.ipynb"), out / "lessons" / f"{lesson}.ipynb")
    return out


def _record(name: str) -> dict:
    """An exercise's public cases and the reference's and mistakes' outcomes on them, as plain data."""
    exercise = get_exercise(name)
    cases = public_cases(list(exercise.cases()))
    try:
        plain = [{"args": to_plain(tuple(c.args)), "kwargs": to_plain(dict(c.kwargs)), "label": c.label,
                  "raises": _error_name(c.raises), "points": c.points, "matched": c.matched} for c in cases]
    except NotPlain as why:
        raise ReleaseError(f"exercise {name!r}: a test input is {why}, not plain data, so it cannot ship as "
                           "data; this lesson cannot be released graded yet") from None

    def outcomes(function) -> list[dict]:
        return [plain_outcome(guarded(runner_of(exercise), function, copy.deepcopy(c))) for c in cases]

    return {"cases": plain, "reference": outcomes(exercise.reference),
            "mistakes": {m.name: outcomes(m.answer) for m in exercise.mistakes}}


def _error_name(raises) -> str | list[str] | None:
    """The name of the built-in exception a case declares, or the names of several (a tuple of them)."""
    if raises is None:
        return None
    if isinstance(raises, tuple):
        return [_error_name(error) for error in raises]
    if not (isinstance(raises, type) and getattr(builtins, raises.__name__, None) is raises):
        raise ReleaseError(f"a case declares {raises!r}; a release can only carry built-in exceptions")
    return raises.__name__


def _answer_code(name: str) -> list:
    """The functions that hold an exercise's answer key: reference, test inputs, mistakes."""
    exercise = get_exercise(name)
    code = [exercise.reference, *_imported_by(exercise.reference), exercise.cases,
            *(m.answer for m in exercise.mistakes)]
    return code + _helpers_only_of(code)


def _helpers_only_of(functions: list) -> list:
    """The private functions of the exercises' modules that only ``functions`` call, and helpers of those: they hold
    the answer too. Round 25 (r251 E1): ``welcome._weights_and_biases``, the whole sum behind the reference's one
    line, shipped whole. A helper that code left in the release also loads (a comparison, a line run at import,
    another module's import) stays; a hidden one keeps its name, so a module-level line may still name it."""
    found = []
    for module in {sys.modules[f.__module__] for f in functions if isinstance(f, types.FunctionType)
                   and f.__module__.startswith(f"{__package__.rsplit('.', 1)[0]}.exercises")}:
        helpers = {name: f for name, f in vars(module).items() if name.startswith("_")
                   and isinstance(f, types.FunctionType) and f.__module__ == module.__name__}
        module_code, called_at_import = _compiled(Path(module.__file__))
        named_elsewhere = _names_used_outside(Path(module.__file__)) | called_at_import
        hidden = {_code_key(f.__code__) for f in functions if isinstance(f, types.FunctionType)
                  and f.__module__ == module.__name__}
        while True:
            loads: dict[bool, set] = {True: set(), False: set()}
            _note_loads(module_code, hidden, False, loads)
            new = [f for name, f in helpers.items() if _code_key(f.__code__) not in hidden and name in loads[True]
                   and name not in loads[False] and name not in named_elsewhere]
            if not new:
                break
            found += new
            hidden |= {_code_key(f.__code__) for f in new}
    return found


@functools.lru_cache(maxsize=None)
def _compiled(path: Path) -> tuple[types.CodeType, frozenset]:
    """A module's code, and the names its own lines call as it is imported (``_called_at_import``)."""
    source = path.read_text(encoding="utf-8")
    return compile(source, str(path), "exec"), frozenset(_called_at_import(ast.parse(source)))


def _code_key(code: types.CodeType) -> tuple[str, int]:
    return code.co_name, code.co_firstlineno


def _note_loads(code: types.CodeType, hidden: set, inside_hidden: bool, loads: dict[bool, set]) -> None:
    """Add the global names that ``code`` and the code nested in it load to ``loads[True]`` where the code is
    hidden (its key is in ``hidden``, or it is nested in such code), else to ``loads[False]``."""
    inside_hidden = inside_hidden or _code_key(code) in hidden
    if code.co_name != "<module>":   # what the module's own lines call at import is ``_called_at_import``'s
        loads[inside_hidden].update(_global_loads(code))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _note_loads(const, hidden, inside_hidden, loads)


@functools.lru_cache(maxsize=None)
def _global_loads(code: types.CodeType) -> frozenset:
    return frozenset(i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME"))


def _called_at_import(tree: ast.Module) -> set:
    """The names a module's own lines call as it is imported (outside function bodies and lambdas)."""
    names, nodes = set(), list(tree.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nodes += [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]
            continue
        if isinstance(node, ast.Lambda):
            nodes += node.args.defaults
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names.add(node.func.id)
        nodes += [child for child in ast.iter_child_nodes(node) if child is not None]
    return names


def _names_used_outside(module_file: Path) -> set:
    """The names that the package's other modules import or read as an attribute."""
    return set().union(*(names for path, names in _names_by_file().items() if path != module_file.resolve()))


@functools.lru_cache(maxsize=1)
def _names_by_file() -> dict[Path, frozenset]:
    """For each module of the package, the names it imports or reads as an attribute."""
    return {path.resolve(): frozenset(node.name if isinstance(node, ast.alias) else node.attr
                                      for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                                      if isinstance(node, (ast.alias, ast.Attribute)))
            for path in PACKAGE.rglob("*.py")}


def _imported_by(reference) -> list:
    """The course functions and classes that a reference written in ``exercises/`` imports inside its body (lesson
    06's wrappers import ``torch_training.train_step`` there, so that the registry does not import torch): they hold
    the answer as much as the wrapper does. Round 17: they shipped whole, and an import of them scored full marks."""
    function = inspect.unwrap(reference)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (TypeError, OSError, SyntaxError):   # not Python source of ours
        return []
    package = getattr(sys.modules.get(getattr(function, "__module__", "")), "__package__", None)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level and package:
            module = importlib.import_module("." * node.level + (node.module or ""), package)
            found.extend(getattr(module, alias.name) for alias in node.names)
    return found


def _hide_functions(package: Path, functions: dict) -> None:
    """Empty each function in the release's copy of its module; a reference in lesson code calls the learner's.

    ``functions`` maps each function to its exercise's name.
    """
    by_file: dict[Path, dict[tuple[str, int], str | None]] = {}
    for function, exercise in functions.items():
        function = inspect.unwrap(function)
        try:
            source = Path(inspect.getsourcefile(function)).resolve()
        except TypeError:   # not a Python function (a class, a built-in): nothing of ours to hide
            continue
        if not source.is_relative_to(PACKAGE):
            continue
        reference = get_exercise(exercise).reference
        is_library = (function is reference or any(function is f for f in _imported_by(reference))) \
            and "exercises" not in source.parts
        first = function.__code__.co_firstlineno if hasattr(function, "__code__") else inspect.getsourcelines(function)[1]
        by_file.setdefault(package / source.relative_to(PACKAGE), {})[
            (function.__name__, first)] = exercise if is_library else None
    for path, wanted in by_file.items():
        tree = _Hider(wanted).visit(ast.parse(path.read_text(encoding="utf-8")))
        path.write_text(f"# Graded release: the answer code of this module is left out.\n{ast.unparse(tree)}\n",
                        encoding="utf-8")


class _Hider(ast.NodeTransformer):
    """Empties the functions and lambdas keyed by (name, first line); see ``_hide_functions``."""

    def __init__(self, wanted: dict[tuple[str, int], str | None]):
        self.wanted = wanted

    def _key(self, node):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return next((k for k in ((node.name, first), (node.name, node.lineno)) if k in self.wanted), None)

    def _emptied(self, node, exercise):
        node.body = ast.parse(f"raise NotImplementedError({HIDDEN!r})" if exercise is None else
                              f"from course_utils.checks import call_answer\n"
                              f"return call_answer({exercise!r}, {node.name}, {_arguments(node)})").body
        return node

    def visit_FunctionDef(self, node):
        key = self._key(node)
        if key is None:
            return self.generic_visit(node)
        return self._emptied(node, self.wanted[key])

    def visit_ClassDef(self, node):
        """A class (06b's DigitMLP) becomes a function of its __init__'s parameters that builds the learner's."""
        key = self._key(node)
        if key is None:
            return self.generic_visit(node)
        function = ast.parse(f"def {node.name}():\n    pass").body[0]
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        if init is not None:
            function.args = init.args
            function.args.args = function.args.args[1:]   # without self
        return ast.fix_missing_locations(ast.copy_location(self._emptied(function, self.wanted[key]), node))

    def visit_Lambda(self, node):
        if ("<lambda>", node.lineno) in self.wanted:
            return ast.parse("lambda *args, **kwargs: None", mode="eval").body
        return self.generic_visit(node)


def _arguments(node: ast.FunctionDef) -> str:
    """A dict of a function's parameters, by name, in order: ``{'x': x, 'w': w}``."""
    args = node.args
    if args.vararg or args.kwonlyargs or args.kwarg:
        raise ReleaseError(f"{node.name}: a course function that calls the learner's answer can only have "
                           "plain parameters (no *args, keyword-only or **kwargs)")
    return "{" + ", ".join(f"{a.arg!r}: {a.arg}" for a in (*args.posonlyargs, *args.args)) + "}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the graded release of some lessons.")
    parser.add_argument("lessons", nargs="+", help="lesson stems, e.g. 01a_neurons_and_activations")
    parser.add_argument("--out", type=Path, required=True,
                        help="the folder to write into: one release per lesson, in OUT/<lesson> (replaced if it exists)")
    args = parser.parse_args(argv)
    for lesson in args.lessons:
        try:
            out = build_release(lesson, args.out / lesson)
        except (ReleaseError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote the graded release of {lesson} to {out}: hand out {out}/lessons and have learners put "
              f"{out} on PYTHONPATH (or copy {out}/course_utils next to the lesson)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
