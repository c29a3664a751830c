"""docs/sources.md is the one map of the source documents: one row per statement, one verdict per row.

Each table row is ``| NNN.k | section | statement | where taught | verdict |``. The verdict must start with
one of the allowed words (a row that says "first part correct; second corrected" carries two verdicts and
must be split into two rows), a statement may appear only once per source and section, and the counts at
the end of the page must match the tables.
"""
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "docs" / "sources.md"
VERDICTS = ("corrected", "correct", "outdated", "out of scope", "not yet shown")   # "corrected" before "correct"
VERDICT = re.compile(r"^(%s)(?![\w-])" % "|".join(VERDICTS))
ROW = re.compile(r"^\| (\d{3})\.(\d+) \|")


def parse_rows(text):
    """(source, number, section, statement, where, verdict) for every row of the statement tables."""
    rows = []
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            cells = [cell.strip() for cell in line.split("|")[1:-1]]
            assert len(cells) == 5, f"a row needs 5 cells, got {len(cells)}: {line[:80]}"
            rows.append((match.group(1), int(match.group(2)), *cells[1:]))
    return rows


def normalized(statement):
    return re.sub(r"[^\w]+", " ", statement.lower()).strip()


def verdict_word(verdict):
    match = VERDICT.match(verdict)
    return match.group(1) if match else None


def problems(text):
    """Everything wrong with a map, as readable lines (empty when the map is consistent)."""
    rows, found = parse_rows(text), []
    ids = Counter(f"{source}.{number}" for source, number, *_ in rows)
    found += [f"row id {rid} is used {n} times" for rid, n in ids.items() if n > 1]
    for source, number, section, statement, where, verdict in rows:
        if verdict_word(verdict) is None:
            found.append(f"{source}.{number}: verdict {verdict[:40]!r} does not start with one of {VERDICTS}")
    verdicts_of = defaultdict(set)
    for source, number, section, statement, where, verdict in rows:
        verdicts_of[(source, section.lower(), normalized(statement))].add((f"{source}.{number}", verdict_word(verdict)))
    for (source, section, _), entries in verdicts_of.items():
        if len(entries) > 1:
            found.append(f"{source} §{section}: one statement has {len(entries)} rows: {sorted(entries)}")
    counts = re.search(r"(\d+) rows: ((?:\d{3}: \d+(?:, )?)+)\.", text)
    if counts is None:
        found.append("the Counts section has no line '<total> rows: 000: n, 001: n, ...'")
    else:
        per_source = Counter(source for source, *_ in rows)
        stated = {source: int(n) for source, n in re.findall(r"(\d{3}): (\d+)", counts.group(2))}
        if int(counts.group(1)) != len(rows) or stated != dict(per_source):
            found.append(f"Counts say {counts.group(0)!r}, the tables have {len(rows)} rows: {dict(sorted(per_source.items()))}")
    return found


def test_the_map_has_one_verdict_per_statement():
    text = MAP.read_text(encoding="utf-8")
    assert len(parse_rows(text)) > 150
    assert problems(text) == []


def test_the_check_rejects_a_second_verdict_for_the_same_statement():
    head = "| # | section | statement | where taught | verdict |\n|---|---|---|---|---|\n"
    good = head + "| 000.1 | 1 | DL is a branch of AI | 00 §3.1 | correct |\n\n2 rows: 000: 2.\n"
    assert problems(good.replace("2 rows: 000: 2", "1 rows: 000: 1")) == []
    twice = good + "| 000.2 | 1 | DL is a branch of AI. | 07 §1 | corrected: as 000.1 |\n"
    assert any("one statement has 2 rows" in line for line in problems(twice))
    mixed = good.replace("| correct |", "| first part correct; second corrected |")
    assert any("does not start with one of" in line for line in problems(mixed))
    assert any("Counts say" in line for line in problems(good))


@pytest.mark.parametrize("verdict, word", [("corrected ▶: x", "corrected"), ("correct (as 001.2)", "correct"),
                                           ("outdated detail: y", "outdated"), ("out of scope (opinion)", "out of scope"),
                                           ("correctly said", None), ("half correct", None), ("fine", None)])
def test_verdict_words(verdict, word):
    assert verdict_word(verdict) == word


def test_no_other_source_map_and_no_links_to_one():
    assert sorted(path.name for path in (ROOT / "docs").glob("sources*.md")) == ["sources.md"]
    pattern = re.compile(r"sources_\d\d\.md")
    for path in [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("solutions/*.ipynb"), *ROOT.glob("lessons/*.ipynb")]:
        if path.exists():
            assert not pattern.search(path.read_text(encoding="utf-8")), f"{path.name} links to a per-lesson source map"


def test_docs_hold_no_notes_addressed_to_team_members():
    for path in ROOT.glob("docs/*.md"):
        text = path.read_text(encoding="utf-8").lower()
        for phrase in ("for the lead", "note for the", "note to the", "to merge into"):
            assert phrase not in text, f"{path.name} contains the internal note {phrase!r}"
