"""Generate student lessons from the solution notebooks.

Every ``solutions/NN_topic.ipynb`` is complete. Inside exercise cells the answer
stands between ``### BEGIN SOLUTION`` and ``### END SOLUTION``. This module
writes ``lessons/NN_topic.ipynb`` with each block replaced by a stub that raises
``NotImplementedError``, and outputs removed. It writes ``lessons/zh/NN_topic.ipynb`` the same way
from the solution with the Chinese of ``solutions/zh/NN_topic.md`` (``teacher.translations``); its
first code cell calls ``cu.setup(lang="zh", ...)``, which sets ``COURSE_LANG`` before anything prints.
A language is on once its folder ``solutions/<lang>/`` exists; from then on ``--check`` also fails
while any cell's translation is missing or stale.

    python -m course_utils.teacher.generate            # write lessons/ (make lessons)
    python -m course_utils.teacher.generate --check    # exit 1 if lessons/ is stale
    python -m course_utils.teacher.generate --force    # also overwrite lessons a learner edited
    python -m course_utils.teacher.generate --nbgrader DIR   # only write nbgrader assignments into DIR/source/
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

from ..lessons import sources_hash, write_unless_edited
from . import glossary
from .launch import add_launch_cells
from .nbgrader_export import write_nbgrader_source
from .notebook_format import BEGIN, END, MARKER, STUB, GeneratorError, solution_notebooks
from .translations import LANGUAGES, TODO_COMMAND, read_blocks, todo, translate, translation_path

SETUP_CALL = re.compile(r"\bcu\.setup\((\s*\))?")
README = {"zh": "README.zh-CN.md"}  # each edition's README, whose lesson map the generator keeps
MAP_START, MAP_END = "<!-- lesson map: made by `make lessons` from solutions/ -->", "<!-- end of the lesson map -->"


def stub_source(source: str, where: str = "cell") -> str:
    """Replace every solution block in one cell's source with the stub."""
    out, indent, start = [], None, 0
    for number, line in enumerate(source.split("\n"), 1):
        match = MARKER.match(line)
        marker = match.group(2) if match else None
        looks_like_marker = line.lstrip().startswith("#") and re.search(r"(BEGIN|END) SOLUTION", line)
        if marker is None and looks_like_marker:
            raise GeneratorError(f"{where}, line {number}: write the marker exactly as '{BEGIN}' or '{END}' "
                                 f"on a line of its own, got {line.strip()!r}")
        if marker == BEGIN:
            if indent is not None:
                raise GeneratorError(f"{where}, line {number}: {BEGIN} inside another solution block")
            indent, start = match.group(1), number
            if not indent:
                raise GeneratorError(
                    f"{where}, line {number}: a solution block must sit inside a function or class body, "
                    "so that the stub raises only when the exercise is called"
                )
            out += [indent + s for s in STUB]
        elif marker == END:
            if indent is None:
                raise GeneratorError(f"{where}, line {number}: {END} without {BEGIN}")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise GeneratorError(f"{where}, line {start}: {BEGIN} is never closed by {END}")
    return "\n".join(out)


def make_lesson(solution, origin: str = "solution", lang: str = "en"):
    """The student version of a solution notebook (a new notebook; the input is unchanged), with the
    launch links and install cell at its top. ``origin`` names the solution (``solutions/NN_topic.ipynb``,
    for a translation followed by `` + `` and its translation file)."""
    lesson = copy.deepcopy(solution)
    for index, cell in enumerate(lesson.cells):
        if cell.cell_type == "code":
            cell.source = stub_source(cell.source, f"{origin}, cell {index}")
            cell.outputs, cell.execution_count = [], None
        elif BEGIN in cell.source:
            raise GeneratorError(f"{origin}, cell {index}: solution blocks belong in code cells")
        cell.metadata.pop("execution", None)
    add_launch_cells(lesson, Path(origin.split(" + ")[0]).stem, lang)
    lesson.metadata["course"] = {"generated_from": origin, "sources_hash": sources_hash(lesson)}
    return lesson


def translated_solution(solution, path: Path, lang: str, terms: dict):
    """The solution in ``lang``: the translation of ``solutions/<lang>/``, its key-term tables from the
    glossary ``terms``, and a set-up call that sets the language (a new notebook)."""
    origin = f"solutions/{path.name} + solutions/{lang}/{path.stem}.md"
    translated = glossary.localize_key_terms(translate(solution, path, lang), solution, terms, origin)
    set_language(translated, lang, origin)
    return translated


def set_language(lesson, lang: str, origin: str) -> None:
    """Make the first code cell after the settings call ``cu.setup(lang=...)``: it sets ``COURSE_LANG`` before
    the report prints."""
    first = next((cell for cell in lesson.cells if cell.cell_type == "code"
                  and "parameters" not in cell.metadata.get("tags", [])), None)   # the settings may come first
    if first is None or not SETUP_CALL.search(first.source):
        raise GeneratorError(f"{origin}: the first code cell must call cu.setup(...), which sets the language "
                             f"of a '{lang}' lesson before anything prints")
    first.source = SETUP_CALL.sub(lambda m: f'cu.setup(lang="{lang}"' + (")" if m.group(1) else ", "),
                                  first.source, count=1)


def _selected(solutions: Path, names) -> list[Path]:
    if not solutions.is_dir():
        raise GeneratorError(f"no solutions folder at {solutions}")
    paths = solution_notebooks(solutions)
    if names:
        paths = [p for p in paths if p.stem in names or p.name in names]
        missing = set(names) - {p.stem for p in paths} - {p.name for p in paths}
        if missing:
            raise GeneratorError(f"no solution notebook called {', '.join(sorted(missing))} in {solutions}")
    return paths


def _pairs(solutions: Path, lessons: Path, names):
    """(solution, lesson path, lesson text): the English lesson, then one per translation language."""
    for path in _selected(solutions, names):
        try:
            solution = nbformat.read(path, as_version=4)
        except Exception as exc:  # not JSON, not a notebook
            raise GeneratorError(f"{path} is not a readable notebook: {exc}") from None
        terms = key_terms_checked(solution, solutions, f"solutions/{path.name}")
        yield path, lessons / path.name, nbformat.writes(make_lesson(solution, f"solutions/{path.name}"))
        for lang in languages(solutions):
            translated = translated_solution(solution, path, lang, terms)
            origin = f"solutions/{path.name} + solutions/{lang}/{path.stem}.md"
            yield path, lessons / lang / path.name, nbformat.writes(make_lesson(translated, origin, lang))


def key_terms_checked(solution, solutions: Path, origin: str) -> dict:
    """The glossary, once the solution's key-term tables are found to agree with it ({} without tables)."""
    tables = [(index, cell.source) for index, cell in enumerate(solution.cells)
              if cell.cell_type == "markdown" and glossary.key_terms(cell.source)]
    if not tables:
        return {}
    terms = glossary.load(solutions.parent / glossary.SOURCE)
    for index, source in tables:
        glossary.check_key_terms(source, terms, f"{origin}, cell {index}")
    return terms


def languages(solutions: Path) -> list[str]:
    """The translations this course has: those with a folder next to the solutions (``solutions/zh/``)."""
    return [lang for lang in LANGUAGES if (solutions / lang).is_dir()]


def lesson_map(solutions: Path, lang: str) -> str:
    """The lessons of one edition as a Markdown table: number and title (the translated heading), linked."""
    rows = ["| # | 课程 |", "|---|---|"]
    for path in solution_notebooks(solutions):
        first = nbformat.read(path, as_version=4).cells[0]
        block = read_blocks(translation_path(path, lang)).get(first.get("id"))
        text = block.text if block is not None else first.source
        title = next((line[2:].strip() for line in text.split("\n") if line.startswith("# ")), path.stem)
        rows.append(f"| {path.name.split('_')[0]} | [{title}](lessons/{lang}/{path.name}) |")
    return "\n".join(rows)


def stale_readmes(solutions: Path, write: bool = False) -> list[Path]:
    """Each edition's README whose lesson map differs from ``lesson_map`` (rewritten when ``write``)."""
    stale = []
    for lang in languages(solutions):
        path = solutions.parent / README[lang]
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if MAP_START not in text or MAP_END not in text:
            raise GeneratorError(f"{path} needs the lesson map's two marker lines: {MAP_START} and {MAP_END}")
        head, rest = text.split(MAP_START, 1)
        fresh = f"{head}{MAP_START}\n{lesson_map(solutions, lang)}\n{MAP_END}{rest.split(MAP_END, 1)[1]}"
        if fresh != text:
            stale.append(path)
            if write:
                path.write_text(fresh, encoding="utf-8")
    return stale


def untranslated(solutions: Path, names=()) -> list[str]:
    """One line per notebook with translation work left: missing, stale or orphaned cells."""
    lines = []
    for path in _selected(solutions, names):
        for lang in languages(solutions):
            left = todo(path, lang)
            if not left:
                continue
            where = ", ".join(f"{cell.get('id') if cell is not None else block.cell_id} ({state})"
                              for state, cell, block in left[:6]) + (", ..." if len(left) > 6 else "")
            lines.append(f"untranslated: {translation_path(path, lang)} lacks {len(left)} cell(s) of "
                         f"{path.name}: {where}. List them with the English: `{TODO_COMMAND.format(stem=path.stem)}`")
    return lines


def stale_lessons(solutions: Path, lessons: Path, names=()) -> list[Path]:
    """Lessons whose file differs from what the generator would write now."""
    return [dest for _, dest, text in _pairs(solutions, lessons, names)
            if not dest.exists() or dest.read_text(encoding="utf-8") != text]


def write_lessons(solutions: Path, lessons: Path, names=(), force: bool = False) -> tuple[list, list]:
    """Write the lessons; return (written, refused). Edited lessons are refused unless ``force``."""
    written, refused = [], []
    for _, dest, text in _pairs(solutions, lessons, names):
        outcome = write_unless_edited(dest, text, force)
        if outcome != "same":
            (written if outcome == "written" else refused).append(dest)
    return written, refused


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Generate lessons/ from solutions/.")
    parser.add_argument("names", nargs="*", help="only these notebooks, e.g. 01a_neurons_and_activations")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if any lesson is stale or any translation missing or stale; write nothing")
    parser.add_argument("--force", action="store_true", help="overwrite lessons even if a learner edited them")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--lessons", type=Path, default=Path("lessons"))
    parser.add_argument("--nbgrader", type=Path, metavar="DIR",
                        help="instead, write the solutions as nbgrader assignments into DIR/source/")
    args = parser.parse_args(argv)
    try:
        if args.nbgrader:
            for path in write_nbgrader_source(args.solutions, args.nbgrader, args.names):
                print(f"wrote {path}")
            return 0
        if args.check:
            stale = stale_lessons(args.solutions, args.lessons, args.names)
            for path in stale:
                print(f"stale: {path} (run `make lessons`)")
            gaps = untranslated(args.solutions, args.names)
            gaps += [f"stale: {path} (its lesson map; run `make lessons`)" for path in stale_readmes(args.solutions)]
            if not glossary.page_is_fresh(args.solutions.parent):
                gaps.append(f"stale: {glossary.PAGE} (run `python -m course_utils.teacher.glossary`)")
            print("\n".join(gaps) if gaps else "translations are up to date")
            print("lessons are up to date" if not stale else f"{len(stale)} stale lesson(s)")
            return 1 if stale or gaps else 0
        written, refused = write_lessons(args.solutions, args.lessons, args.names, args.force)
        written += stale_readmes(args.solutions, write=True)
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    for path in refused:
        print(f"kept {path}: it has edits of yours. Rename it to keep them, or use --force to overwrite.")
    if not written and not refused:
        print("lessons are up to date")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
