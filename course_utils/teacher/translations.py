"""Translations of the solution notebooks, keyed by cell id and a hash of the English source.

``solutions/zh/NN_topic.md`` holds the Chinese text of one notebook, one block per cell, in order:

    <!-- cell 1a2b3c4d | en 0123456789 -->
    中文……

``cell`` is the cell's id, ``en`` the first 10 hex digits of the SHA-256 of the English source the
block was translated from. A markdown cell always needs a block. A code cell needs one when a learner
reads English in it (a comment or a string of three or more words); its block is the whole cell
with only comments and strings changed.

    python -m course_utils.teacher.translations todo [NN_topic ...]   # missing and stale cells
"""
from __future__ import annotations

import argparse
import hashlib
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .notebook_format import solution_notebooks

LANGUAGES = ("zh",)
HEADER = re.compile(r"^<!-- cell (\S+) \| en ([0-9a-f]{10}) -->$")
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
    """(state, cell, block) for every cell whose translation is missing or stale."""
    blocks = read_blocks(translation_path(notebook, lang))
    out = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        block = blocks.get(cell.get("id"))
        if block is None and needs_translation(cell):
            out.append(("missing", cell, None))
        elif block is not None and block.en_hash != en_hash(cell.source):
            out.append(("stale", cell, block))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("todo", help="list the cells whose translation is missing or stale")
    show.add_argument("notebooks", nargs="*", help="stems such as 01_neurons (default: all)")
    show.add_argument("--lang", default="zh", choices=LANGUAGES)
    show.add_argument("--folder", default="solutions")
    args = parser.parse_args(argv)
    found = 0
    for path in solution_notebooks(Path(args.folder)):
        if args.notebooks and path.stem not in args.notebooks:
            continue
        for state, cell, block in todo(path, args.lang):
            found += 1
            print(f"=== {path.stem} · cell {cell.get('id')} · {cell.cell_type} · {state} · en {en_hash(cell.source)}")
            if block is not None:
                print("--- translated from English with hash", block.en_hash, "; English now:")
            print(cell.source)
            print()
    print(f"{found} cell(s) to translate", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
