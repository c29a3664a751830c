"""Translations of the solution notebooks, keyed by cell id and a hash of the English source.

``solutions/zh/NN_topic.md`` holds the Chinese text of one notebook, one block per cell, in order:

    <!-- cell 1a2b3c4d | en 0123456789 -->
    中文……

``cell`` is the cell's id, ``en`` the first 10 hex digits of the SHA-256 of the English source the
block was translated from. A markdown cell always needs a block. A code cell needs one when a learner
reads English in it (a comment or a string of three or more words); its block is the whole cell
with only comments and strings changed.

A translated code cell must equal the English token for token, comments and string literals
excepted (``same_code``); ``translate`` builds the Chinese notebook, ``todo`` names the cells still to do.

    python -m course_utils.teacher.translations todo [NN_topic ...]   # missing and stale cells
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import io
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .notebook_format import MARKER, GeneratorError, solution_notebooks

LANGUAGES = ("zh",)
HEADER = re.compile(r"^<!-- cell (\S+) \| en ([0-9a-f]{10}) -->$")
TODO_COMMAND = "python -m course_utils.teacher.translations todo {stem}"
PLACEHOLDER = re.compile(r"{[^{}]*}")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
PROSE = re.compile(r"[A-Za-z]{2,}[\s,.:;'()/-]+[A-Za-z]{2,}[\s,.:;'()/-]+[A-Za-z]{2,}")


@dataclass
class Block:
    cell_id: str
    en_hash: str
    text: str


def en_hash(source: str) -> str:
    """The fingerprint a translation records of the English it was made from."""
    return hashlib.sha256(source.encode()).hexdigest()[:10]


def translation_path(notebook: Path, lang: str = "zh") -> Path:
    return notebook.parent / lang / (notebook.stem + ".md")


def read_blocks(path: Path) -> dict[str, Block]:
    """The blocks of one translation file by cell id (empty when the file does not exist)."""
    if not path.exists():
        return {}
    blocks, current, lines = {}, None, []
    for line in path.read_text(encoding="utf-8").split("\n") + ["<!-- cell END | en 0000000000 -->"]:
        match = HEADER.match(line)
        if not match:
            if current is None and line.strip():
                raise ValueError(f"{path}: text before the first cell header: {line[:60]!r}")
            lines.append(line)
            continue
        if current is not None:
            blocks[current.cell_id] = Block(current.cell_id, current.en_hash, "\n".join(lines).strip("\n"))
        current, lines = Block(match.group(1), match.group(2), ""), []
    return blocks


def write_blocks(path: Path, blocks: list[Block]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join(f"<!-- cell {b.cell_id} | en {b.en_hash} -->\n{b.text.strip()}" for b in blocks)
    path.write_text(text + "\n", encoding="utf-8")


def reads_english(source: str) -> bool:
    """Whether a code cell shows a learner English words: a comment or a string of three or more words."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return any(PROSE.search(line) for line in source.splitlines() if line.lstrip().startswith("#"))
    return any(tok.type in (tokenize.COMMENT, tokenize.STRING) and PROSE.search(tok.string) for tok in tokens)


def needs_translation(cell) -> bool:
    return cell.cell_type == "markdown" or (cell.cell_type == "code" and reads_english(cell.source))


def todo(notebook: Path, lang: str = "zh") -> list[tuple[str, object, Block | None]]:
    """(state, cell, block) for every cell whose translation is missing or stale, then every block
    whose cell is gone from the notebook ("orphan", with ``cell`` None)."""
    blocks = read_blocks(translation_path(notebook, lang))
    cells = nbformat.read(notebook, as_version=4).cells
    out = []
    for cell in cells:
        block = blocks.get(cell.get("id"))
        if block is None and needs_translation(cell):
            out.append(("missing", cell, None))
        elif block is not None and block.en_hash != en_hash(cell.source):
            out.append(("stale", cell, block))
    ids = {cell.get("id") for cell in cells}
    return out + [("orphan", None, block) for cell_id, block in blocks.items() if cell_id not in ids]


def _code_tokens(source: str) -> list[tuple]:
    """What must not change in a translated code cell: every token but comments, line breaks inside
    statements and the text of strings. Adjacent strings count as one; an f-string's placeholders count,
    in any order (Chinese word order differs), strings inside them excepted."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL):
            continue
        if tok.type == tokenize.STRING:
            prefix = re.match(r"[A-Za-z]*", tok.string).group().lower()
            fields = tuple(sorted(QUOTED.sub("''", field) for field in PLACEHOLDER.findall(
                tok.string.replace("{{", "").replace("}}", "")))) if "f" in prefix else ()
            if out and out[-1][0] == "STRING":
                out[-1] = ("STRING", out[-1][1] + fields)
            else:
                out.append(("STRING", fields))
            continue
        out.append((tokenize.tok_name[tok.type], tok.string))
    return out


def same_code(english: str, translated: str) -> bool:
    """True when ``translated`` differs from ``english`` only in comments and string literals
    (f-string placeholders kept), with the solution markers on the same lines of code."""
    markers = [[line.strip() for line in text.split("\n") if MARKER.match(line)] for text in (english, translated)]
    if markers[0] != markers[1]:
        return False
    try:
        return _code_tokens(english) == _code_tokens(translated)
    except (tokenize.TokenError, IndentationError, SyntaxError):  # e.g. a shell line: compare without comments
        def bare(text):
            return [line for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#")]
        return bare(english) == bare(translated)


def translate(notebook, path: Path, lang: str = "zh"):
    """The notebook in ``lang`` (a new notebook; the input is unchanged).

    A missing block leaves the English; a stale one is still used while its code matches the English.
    A current block whose code differs from the English is the translator's error: GeneratorError.
    """
    blocks = read_blocks(translation_path(path, lang))
    out = copy.deepcopy(notebook)
    for cell in out.cells:
        block = blocks.get(cell.get("id"))
        if block is None:
            continue
        if cell.cell_type == "code" and not same_code(cell.source, block.text):
            if block.en_hash == en_hash(cell.source):
                raise GeneratorError(
                    f"{translation_path(path, lang)}, cell {cell.get('id')}: the translated code differs from the "
                    "English in more than comments and strings; change only comments and string literals, "
                    "keep f-string placeholders {...} and the solution markers as they are")
            continue
        cell.source = block.text
    return out


def english_before(notebook: Path, cell_id: str, recorded: str) -> str | None:
    """The English a stale block was translated from: the newest committed version of ``notebook``
    whose cell ``cell_id`` has the ``recorded`` hash (None when git history has no such version)."""
    where = notebook.resolve().parent
    try:
        root = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=where, capture_output=True,
                              text=True, check=True).stdout.strip()
        relative = notebook.resolve().relative_to(root).as_posix()
        commits = subprocess.run(["git", "log", "--format=%H", "--", relative], cwd=root, capture_output=True,
                                 text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None
    for commit in commits:
        shown = subprocess.run(["git", "show", f"{commit}:{relative}"], cwd=root, capture_output=True, text=True)
        if shown.returncode:
            continue
        try:
            cells = nbformat.reads(shown.stdout, as_version=4).cells
        except Exception:
            continue
        for cell in cells:
            if cell.get("id") == cell_id and en_hash(cell.source) == recorded:
                return cell.source
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("todo", help="list the cells whose translation is missing or stale")
    show.add_argument("notebooks", nargs="*", help="stems such as 01a_neurons_and_activations (default: all)")
    show.add_argument("--lang", default="zh", choices=LANGUAGES)
    show.add_argument("--folder", default="solutions")
    args = parser.parse_args(argv)
    found = 0
    for path in solution_notebooks(Path(args.folder)):
        if args.notebooks and path.stem not in args.notebooks:
            continue
        for state, cell, block in todo(path, args.lang):
            found += 1
            if cell is None:
                print(f"=== {path.stem} · cell {block.cell_id} · orphan: the notebook has no such cell; "
                      f"delete its block from {translation_path(path, args.lang)}")
                print()
                continue
            print(f"=== {path.stem} · cell {cell.get('id')} · {cell.cell_type} · {state} · en {en_hash(cell.source)}")
            if block is not None:
                before = english_before(path, cell.get("id"), block.en_hash)
                print(f"--- English before (hash {block.en_hash}):")
                print(before if before is not None else "(not in git history: compare with the translation below)")
                print("--- English now:")
            print(cell.source)
            if block is not None:
                print("--- translation (of the English before):")
                print(block.text)
            print()
    print(f"{found} cell(s) to translate", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
