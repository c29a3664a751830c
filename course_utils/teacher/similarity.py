"""Answers that are the same once names, comments and layout are set aside: a report for the teacher.

Each exercise's answer is the ``def`` or ``class`` its check line names. It is normalised from its
syntax tree: docstrings dropped, every name the answer defines (its own name, arguments, local
variables) renamed in order of appearance, and the code written out again, so comments and spacing
disappear. Two learners whose normalised answers are equal share that answer. Short answers
(``return np.maximum(0, z)``) are what everyone writes, so only answers of at least ``MIN_NODES``
syntax nodes count. The report flags; the teacher judges.
"""
from __future__ import annotations

import ast
import csv
import hashlib
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from .notebook_format import cell_exercises

MIN_NODES = 25


class _Renamer(ast.NodeTransformer):
    """Rename the names an answer binds (arguments, assignments, loop variables) to v0, v1, ..."""

    def __init__(self, bound: set[str]):
        self.bound, self.names = bound, {}

    def _new(self, name: str) -> str:
        if name not in self.bound:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg, node.annotation = self._new(node.arg), None
        return node

    def visit_FunctionDef(self, node):
        node.name, node.returns = self._new(node.name), None
        if node.body and isinstance(node.body[0], ast.Expr) and isinstance(getattr(node.body[0], "value", None),
                                                                         ast.Constant):
            node.body = node.body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node

    visit_ClassDef = visit_FunctionDef


def normalised(tree: ast.AST) -> tuple[str, int]:
    """(the answer's normalised code, its number of syntax nodes)."""
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    tree = _Renamer(bound).visit(ast.parse(ast.unparse(tree)))
    return ast.unparse(tree), sum(1 for _ in ast.walk(tree))


def answers(path: Path) -> dict[str, tuple[str, int]]:
    """Each exercise's normalised answer in one notebook; {} when the notebook cannot be read."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return {}
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for exercise, variable in cell_exercises(cell.source):
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == variable:
                    found[exercise] = normalised(node)
    return found


def shared_answers(results) -> list[tuple[str, str, list[str], int]]:
    """(learner, learner, exercises with the same answer, their syntax nodes), the largest first."""
    by_answer: dict[tuple[str, str], list[str]] = defaultdict(list)
    sizes = {}
    for result in results:
        for exercise, (code, nodes) in answers(result.submission.path).items():
            if "NotImplementedError" in code or nodes < MIN_NODES:  # untouched, or what everyone writes
                continue
            key = (exercise, hashlib.sha256(code.encode()).hexdigest())
            by_answer[key].append(result.submission.learner)
            sizes[key] = nodes
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    weight: dict[tuple[str, str], int] = defaultdict(int)
    for key, who in by_answer.items():
        for a, b in combinations(sorted(set(who)), 2):
            pairs[a, b].append(key[0])
            weight[a, b] += sizes[key]
    return sorted(((a, b, sorted(ex), weight[a, b]) for (a, b), ex in pairs.items()), key=lambda p: -p[3])


def write_similarity(results, path: Path) -> Path:
    """similarity.csv: each pair of learners with the same answers, the largest overlap first."""
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["learner_a", "learner_b", "same_answers", "syntax_nodes"])
        for a, b, exercises, nodes in shared_answers(results):
            writer.writerow([a, b, " ".join(exercises), nodes])
    return path
