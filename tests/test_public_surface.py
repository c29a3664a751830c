"""The contract between course_utils and everything that uses it from outside.

Every ``course_utils`` name a notebook uses resolves; ``cu.<module>`` works right after
``import course_utils as cu``, with no other import first; every ``python -m course_utils.…``
entry point named in the README, Makefile and docs still starts; and the names that code strings
run inside learners' kernels still exist. The notebooks are parsed, not run, so this is fast.
"""
from __future__ import annotations

import ast
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("solutions/**/[0-9][0-9]*.ipynb")) + sorted(ROOT.glob("lessons/**/[0-9][0-9]*.ipynb"))
DOCUMENTS = [ROOT / "README.md", ROOT / "README.zh-CN.md", ROOT / "Makefile", *sorted((ROOT / "docs").glob("*.md"))]


def code_cells(path: Path):
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            yield ast.parse("\n".join(lines))


def attribute_chain(node: ast.Attribute) -> list[str] | None:
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return [node.id, *reversed(names)] if isinstance(node, ast.Name) else None


def used_names() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(module, name) pairs from ``from course_utils… import``, and (what a local name was imported
    as, attribute chain) pairs: ``("course_utils", "data.load_images")`` for ``cu.data.load_images``."""
    imported, chains = set(), set()
    for path in NOTEBOOKS:
        trees = list(code_cells(path))
        aliases = {"cu": "course_utils"}  # local name -> dotted course_utils path, over the whole notebook
        for node in (node for tree in trees for node in ast.walk(tree)):
            if isinstance(node, ast.Import):
                aliases.update({alias.asname or alias.name: alias.name for alias in node.names
                                if alias.name.startswith("course_utils")})
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
                imported |= {(node.module, alias.name) for alias in node.names}
                aliases.update({alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names})
        for node in (node for tree in trees for node in ast.walk(tree)):
            chain = attribute_chain(node) if isinstance(node, ast.Attribute) else None
            if chain and chain[0] in aliases:
                chains.add((aliases[chain[0]], ".".join(chain[1:])))
    return imported, chains


IMPORTED, CHAINS = used_names()


def test_the_notebooks_use_course_utils():
    assert len(NOTEBOOKS) >= 18 and len(IMPORTED) + len(CHAINS) > 100 and ("course_utils", "data.load_images") in CHAINS


@pytest.mark.parametrize("module, name", sorted(IMPORTED), ids=lambda value: str(value))
def test_every_imported_name_resolves(module, name):
    target = importlib.import_module(module)
    assert hasattr(target, name) or importlib.util.find_spec(f"{module}.{name}") is not None


def resolve(dotted: str):
    """A module or an attribute of one, from its dotted path."""
    module, _, rest = dotted.partition(".")
    target = importlib.import_module(module)
    for part in rest.split(".") if rest else ():
        target = getattr(target, part) if hasattr(target, part) else importlib.import_module(
            f"{target.__name__}.{part}")
    return target


@pytest.mark.parametrize("base, chain", sorted(c for c in CHAINS if c[0] != "course_utils"), ids=".".join)
def test_every_attribute_of_an_imported_name_resolves(base, chain):
    target = resolve(base)
    for part in chain.split("."):
        target = getattr(target, part)


def test_every_cu_chain_resolves_after_a_bare_import():
    """``cu.data.chosen_dataset`` must work without anything else imported first."""
    probes = sorted(f"course_utils.{chain}" for base, chain in CHAINS if base == "course_utils")
    code = "import course_utils\n" + "\n".join(probes)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("module", ["data", "plotting", "doctor"])
def test_learner_modules_are_attributes_of_the_package(module):
    code = f"import course_utils as cu; cu.{module}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def entry_points() -> set[str]:
    found = set()
    for path in DOCUMENTS:
        found |= set(re.findall(r"python -m (course_utils(?:\.\w+)+)", path.read_text(encoding="utf-8")))
    return found


SHIMS = {"course_utils.generate", "course_utils.grade"}  # the tools' old names, kept for one release


def test_the_documents_name_entry_points():
    assert {"course_utils.teacher.generate", "course_utils.teacher.grade",
            "course_utils.jupyter_settings"} <= entry_points()


@pytest.mark.parametrize("module", sorted(entry_points() | SHIMS))
def test_every_documented_entry_point_starts(module):
    result = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip(), f"python -m {module} --help printed nothing"


@pytest.mark.parametrize("module, name", [
    ("course_utils.marking", "collect"), ("course_utils.marking", "assert_passes"),
    ("course_utils.distributed.ddp_train", "main"),
])
def test_names_that_code_strings_run_in_kernels_exist(module, name):
    assert callable(getattr(importlib.import_module(module), name))
