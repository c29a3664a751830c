"""The course's one glossary: one Chinese term per English term, and the key-term tables made from it.

``docs/glossary.csv`` (columns english, chinese, avoid, note) is the source; ``docs/glossary.md`` is
its rendered page. A solution's key-term table (header ``| English | 中文 | English | 中文 |``) must
agree with the glossary row for row; the Chinese lesson's table (``| 中文 | English | ...``) is made
from the glossary with the same terms in the same order. ``avoid`` lists variants the Chinese lessons
must not use, except inside a quotation “…” or a parenthesis that says who calls it so （…称…）.

    python -m course_utils.teacher.glossary            # write docs/glossary.md
    python -m course_utils.teacher.glossary --check    # exit 1 if docs/glossary.md is stale
"""
from __future__ import annotations

import argparse
import copy
import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .notebook_format import GeneratorError

SOURCE, PAGE = Path("docs/glossary.csv"), Path("docs/glossary.md")
ENGLISH_HEADER = re.compile(r"^\|\s*English\s*\|\s*中文\s*\|")
CHINESE_HEADER = re.compile(r"^\|\s*中文\s*\|\s*English\s*\|")
EXCEPTED = re.compile(r"“[^”]*”|（[^（）]*称[^（）]*）|`[^`\n]*`")


@dataclass(frozen=True)
class Term:
    english: str
    chinese: str
    avoid: tuple[str, ...] = ()
    note: str = ""


def load(path: Path = SOURCE) -> dict[str, Term]:
    """The glossary's terms by their English."""
    if not path.exists():
        raise GeneratorError(f"no glossary at {path}: the key-term tables are checked against it")
    with open(path, encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return {row["english"]: Term(row["english"], row["chinese"], tuple(v for v in row["avoid"].split(";") if v),
                                 row["note"]) for row in rows}


def render(terms: dict[str, Term]) -> str:
    """The glossary as a Markdown page."""
    lines = ["# 术语表 · Glossary", "",
             "One Chinese term per concept, as the standard Chinese textbooks use it (《动手学深度学习》, 邱锡鹏"
             "《神经网络与深度学习》, 周志华《机器学习》), with the reason where they differ. Generated from "
             "`docs/glossary.csv` by `python -m course_utils.teacher.glossary`; edit the CSV, not this page. "
             "The key-term tables of both editions come from it, and the Chinese lessons avoid the variants in "
             "the third column (except when quoting a source).", "",
             "| English | 中文 | 不用 (avoid) | 说明 (why) |", "|---|---|---|---|"]
    lines += [f"| {t.english} | {t.chinese} | {'、'.join(t.avoid)} | {t.note} |" for t in terms.values()]
    return "\n".join(lines) + "\n"


def _table(lines: list[str], header: re.Pattern) -> tuple[int, int] | None:
    """(first, end) line numbers of the first table whose header matches, or None."""
    for first, line in enumerate(lines):
        if header.match(line):
            end = first + 2
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            return first, end
    return None


def _pairs(lines: list[str]) -> list[tuple[str, str]]:
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    return [(row[i], row[i + 1]) for row in cells for i in range(0, len(row) - 1, 2) if row[i]]


def key_terms(source: str) -> list[tuple[str, str]]:
    """The (English, 中文) pairs of a cell's English key-term table ([] when it has none)."""
    lines = source.split("\n")
    where = _table(lines, ENGLISH_HEADER)
    return _pairs(lines[where[0] + 2:where[1]]) if where else []


def check_key_terms(source: str, terms: dict[str, Term], where: str) -> None:
    """GeneratorError unless every row of the cell's key-term table is the glossary's."""
    for english, chinese in key_terms(source):
        term = terms.get(english)
        if term is None:
            raise GeneratorError(f"{where}: the key term {english!r} is not in {SOURCE}; add it there")
        if term.chinese != chinese:
            raise GeneratorError(f"{where}: the key term {english!r} is {chinese!r} here but {term.chinese!r} "
                                 f"in {SOURCE}; use the glossary's term (or change the glossary)")


def chinese_table(english: list[str], terms: dict[str, Term]) -> list[str]:
    """The Chinese lesson's key-term table, two terms a row, made from the glossary."""
    cells = [(terms[en].chinese, en) for en in english] + ([("", "")] if len(english) % 2 else [])
    rows = ["|" + "|".join(f" {text} " if text else " " for text in (*left, *right)) + "|"
            for left, right in zip(cells[::2], cells[1::2])]
    return ["| 中文 | English | 中文 | English |", "|---|---|---|---|", *rows]


def localize_key_terms(translated, solution, terms: dict[str, Term], where: str):
    """``translated`` with each key-term table made from the glossary (a new notebook)."""
    out = copy.deepcopy(translated)
    for cell, english in zip(out.cells, solution.cells):
        pairs = key_terms(english.source)
        if not pairs or cell.source == english.source:  # no table, or not translated yet
            continue
        lines = cell.source.split("\n")
        found = _table(lines, CHINESE_HEADER)
        if found is None:
            raise GeneratorError(f"{where}, cell {english.get('id')}: the translation has no key-term table "
                                 "(a table whose header starts | 中文 | English |)")
        lines[found[0]:found[1]] = chinese_table([en for en, _ in pairs], terms)
        cell.source = "\n".join(lines)
    return out


def misuses(text: str, terms: dict[str, Term]) -> list[tuple[str, str]]:
    """(variant, glossary term) for each avoided variant in ``text`` outside quotations and attributions."""
    bare = EXCEPTED.sub("", text)
    return [(variant, term.chinese) for term in terms.values() for variant in term.avoid if variant in bare]


def page_is_fresh(root: Path = Path(".")) -> bool:
    """True when ``docs/glossary.md`` under ``root`` is the rendering of its CSV (or there is no CSV)."""
    source, page = root / SOURCE, root / PAGE
    return not source.exists() or (page.exists() and page.read_text(encoding="utf-8") == render(load(source)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/glossary.md from docs/glossary.csv.")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/glossary.md is stale; write nothing")
    args = parser.parse_args(argv)
    try:
        text = render(load())
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        fresh = page_is_fresh()
        print(f"{PAGE} is up to date" if fresh else f"stale: {PAGE} (run `python -m course_utils.teacher.glossary`)")
        return 0 if fresh else 1
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
