"""The course's notebook style, checked on every notebook in solutions/ and lessons/ (and the rules
that do not read English on lessons/zh/ too).

Each test collects every violation of one rule in one notebook and reports them all at once,
with the cell index (0-based), so one run tells an author everything to fix.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted([*(ROOT / "solutions").glob("*.ipynb"), *(ROOT / "lessons").glob("*.ipynb")])
MAX_CODE_LINES = 15
ENDING = ("Summary", "Think further", "Next")
MARKDOWN_IN_COMMENT = re.compile(r"\*\*\w|\$[^$]+\$")

each_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
each_edition = pytest.mark.parametrize("path", NOTEBOOKS + sorted((ROOT / "lessons" / "zh").glob("*.ipynb")),
                                       ids=lambda p: f"{p.parent.name}/{p.name}")


def cells_of(path):
    return nbformat.read(path, as_version=4).cells


def report(path, problems):
    return f"{path.parent.name}/{path.name}:\n  " + "\n  ".join(problems)


def bare_code_cells(cells):
    """Code cells that do not follow a markdown cell."""
    return [i for i, cell in enumerate(cells)
            if cell.cell_type == "code" and (i == 0 or cells[i - 1].cell_type != "markdown")]


def long_code_cells(cells, limit=MAX_CODE_LINES):
    """(index, lines) of code cells longer than ``limit`` lines (trailing blank lines not counted)."""
    return [(i, n) for i, cell in enumerate(cells) if cell.cell_type == "code"
            and (n := len(cell.source.rstrip().splitlines())) > limit]


def control_characters(cells):
    """(index, character name) for every control character other than newline and tab."""
    found = []
    for i, cell in enumerate(cells):
        for char in sorted(set(cell.source) - {"\n", "\t"}):
            if unicodedata.category(char) == "Cc":
                found.append((i, f"U+{ord(char):04X}"))
    return found


def comment_prose(cells, max_block=2):
    """(index, reason) for code comments that are prose: markdown markup, or blocks of full-line comments."""
    found = []
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        block = 0
        for line in cell.source.splitlines() + [""]:
            stripped = line.strip()
            comment = stripped.split("#", 1)[1] if "#" in stripped else ""
            if comment and MARKDOWN_IN_COMMENT.search(comment.strip()):
                found.append((i, f"markdown in a comment: {stripped[:60]!r}"))
            block = block + 1 if stripped.startswith("#") else 0
            if block == max_block + 1:
                found.append((i, f"{block}+ consecutive comment lines: write them as markdown"))
    return found


def headings(cells):
    """(cell index, heading text) of every markdown heading, in order."""
    return [(i, m.group(2).strip()) for i, cell in enumerate(cells) if cell.cell_type == "markdown"
            for m in re.finditer(r"^(#{1,6})\s+(.+)$", cell.source, flags=re.M)]


def opening_problems(cells):
    if not cells or cells[0].cell_type != "markdown":
        return ["cell 0: the notebook must open with a markdown cell"]
    text, problems = cells[0].source, []
    if not re.match(r"\s*# \S", text):
        problems.append("cell 0: no title (a level-1 '# ' heading first)")
    if not re.search(r"\bTime\b", text):
        problems.append("cell 0: no time estimate ('**Time:** ...')")
    if not re.search(r"^\|.*English.*\|.*中文.*\|", text, flags=re.M):
        problems.append("cell 0: no key-terms table with an 'English | 中文' header")
    return problems


def ending_problems(cells):
    found = headings(cells)
    titles = [title for _, title in found]
    if titles[-len(ENDING):] != list(ENDING):
        return [f"the last headings must be {' / '.join(ENDING)}, found {titles[-3:]}"]
    summary_cell = found[-len(ENDING)][0]
    late_code = [i for i, cell in enumerate(cells) if cell.cell_type == "code" and i > summary_cell]
    return [f"cells {late_code}: code after the Summary"] if late_code else []


@each_edition
def test_markdown_before_every_code_cell(path):
    bare = bare_code_cells(cells_of(path))
    assert not bare, report(path, [f"cell {i}: code cell without markdown before it" for i in bare])


@each_edition
def test_code_cells_are_short(path):
    long = long_code_cells(cells_of(path))
    assert not long, report(path, [f"cell {i}: {n} lines (at most {MAX_CODE_LINES})" for i, n in long])


@each_edition
def test_no_control_characters(path):
    found = control_characters(cells_of(path))
    assert not found, report(path, [f"cell {i}: control character {name} (a '\\a' or '\\b' in a Python string?)"
                                    for i, name in found])


@each_edition
def test_no_prose_in_code_comments(path):
    found = comment_prose(cells_of(path))
    assert not found, report(path, [f"cell {i}: {why}" for i, why in found])


@each_notebook
def test_opens_with_title_time_and_key_terms(path):
    problems = opening_problems(cells_of(path))
    assert not problems, report(path, problems)


@each_notebook
def test_ends_with_summary_think_further_next(path):
    problems = ending_problems(cells_of(path))
    assert not problems, report(path, problems)


def _nb(*cells):
    return [nbformat.v4.new_markdown_cell(s[3:]) if s.startswith("md:") else nbformat.v4.new_code_cell(s)
            for s in cells]


def test_the_rules_catch_what_they_should():
    """Each rule fires on a small bad notebook and stays quiet on a good one."""
    good = _nb("md:# T\n**Time:** 5 min\n\n| English | 中文 |\n|---|---|\n| a | 甲 |", "md:text",
               "x = 1  # a short comment", "md:## Summary\n## Think further\n## Next")
    assert not (bare_code_cells(good) or long_code_cells(good) or control_characters(good)
                or comment_prose(good) or opening_problems(good) or ending_problems(good))
    bad = _nb("md:Title without heading", "x = 1", "y = 2\n" * 16, "md:$\x07pprox$",
              "# one\n# two\n# three", "z = 3  # **bold** prose", "md:## Next\n## Summary")
    assert bare_code_cells(bad) == [2, 5]
    assert long_code_cells(bad) == [(2, 16)]
    assert control_characters(bad) == [(3, "U+0007")]
    assert [i for i, _ in comment_prose(bad)] == [4, 5]
    assert len(opening_problems(bad)) == 3 and ending_problems(bad)
