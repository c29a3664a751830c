"""The package's layers, kept by a test: no import circles, imports point down, the map is complete.

The import graph is read from the source, imports inside functions included (a circle that is
one-sided inside a function is still a circle). Layers, top to bottom: the teacher's tools; the
learner runtime; the lesson code. The exercise declarations use ``exercises.base``, never the
engine in ``checks`` that runs them.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import course_utils

PACKAGE = Path(course_utils.__file__).parent
SHIMS = {"course_utils.generate", "course_utils.grade"}  # the teacher tools' old names, one release
RUNTIME_ONLY = {"checks", "guard", "marking", "plaindata", "exercises", "doctor", "live", "widgets", "envcheck",
                "jupyter_settings", "lessons", "teacher"}
LESSON_CODE = {"bigpicture", "neurons", "mlp", "gradcheck", "convnet", "optimizers", "recipes", "torch_training",
               "digit_models", "attribution", "distributed"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The course_utils modules that module ``name`` imports, anywhere in its source."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("course_utils")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("course_utils"):
                continue
            for alias in node.names:  # `from .. import mlp` imports the module course_utils.mlp
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
    return {module for module in found if module in MODULES} - {name}


GRAPH = {name: imports_of(name) for name in MODULES}


def circles() -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return groups


def top(name: str) -> str:
    return name.split(".")[1] if "." in name else ""


def test_the_graph_is_read_from_the_source():
    assert "course_utils.exercises.base" in GRAPH["course_utils.checks"] | GRAPH["course_utils.exercises"]
    assert "course_utils.exercises" in GRAPH["course_utils.marking"]  # an import inside a function


def test_there_are_no_import_circles():
    assert circles() == []


def test_nothing_outside_teacher_imports_teacher():
    wrong = [(name, target) for name, targets in GRAPH.items() for target in targets
             if top(target) == "teacher" and top(name) != "teacher" and name not in SHIMS]
    assert wrong == []


def test_exercise_declarations_never_import_the_check_engine():
    wrong = [(name, target) for name, targets in GRAPH.items() if top(name) == "exercises"
             for target in targets if target in {"course_utils.checks", "course_utils.marking"}]
    assert wrong == []


def test_lesson_code_never_imports_the_runtime_or_the_tools():
    wrong = [(name, target) for name, targets in GRAPH.items() if top(name) in LESSON_CODE
             for target in targets if top(target) in RUNTIME_ONLY]
    assert wrong == []


def test_every_module_is_on_the_package_map():
    documented = set(re.findall(r"``([\w.]+)``", course_utils.__doc__))
    leaves = {part for entry in documented for part in entry.split(".")}
    missing = [name for name in MODULES if name != "course_utils" and name.rpartition(".")[2] not in leaves]
    assert missing == []
    assert {top(name) for name in MODULES} - {""} <= LESSON_CODE | RUNTIME_ONLY | {
        "data", "plotting", "device", "i18n", "generate", "grade"}


def test_exercise_modules_declare_only_their_exercises():
    """One convention: a topic module's public names are EXERCISES (and NOTEBOOKS for a lesson in parts);
    references come from lesson code (``from .. import <module> as ref``) or are private, like the mistakes."""
    import importlib

    from course_utils import exercises

    for topic in exercises.TOPICS:
        module = importlib.import_module(f"course_utils.exercises.{topic}")
        public = {name for name, value in vars(module).items() if not name.startswith("_")
                  and getattr(value, "__module__", module.__name__) == module.__name__
                  and not isinstance(value, type(module)) and name != "annotations"}
        assert public <= {"EXERCISES", "NOTEBOOKS"} and "EXERCISES" in public, (topic, sorted(public))
