"""The course's lessons, copied into a folder of yours: ``python -m course_utils.lessons DIR``.

An installed package carries the lessons (``course_utils/lesson_files``, copied from ``lessons/`` when
the wheel is built); a clone of the course has them in ``lessons/``. A lesson in DIR that you have
edited is never overwritten, unless you pass ``--force``; an unedited lesson is brought up to date.

    python -m course_utils.lessons ~/course           # copy (or update) the lessons into ~/course
    python -m course_utils.lessons ~/course --force   # also overwrite lessons you have edited
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import nbformat

PATTERNS = ("[0-9][0-9]*.ipynb", "*/[0-9][0-9]*.ipynb")  # the lessons, and a translation's lessons (zh/)


def lesson_folder() -> Path:
    """Where this copy of the course keeps its lessons: inside the package, else the clone's lessons/."""
    shipped = Path(__file__).with_name("lesson_files")
    return shipped if shipped.is_dir() else Path(__file__).resolve().parents[1] / "lessons"


def lesson_files(folder: Path | None = None) -> list[Path]:
    """The lessons under ``folder`` (default: this copy's), relative to it, in order."""
    folder = folder or lesson_folder()
    return sorted(path.relative_to(folder) for pattern in PATTERNS for path in folder.glob(pattern))


def sources_hash(nb) -> str:
    """A fingerprint of what a learner can edit: the cells' types and sources."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        digest.update(f"{cell.cell_type}\0{cell.source}\0".encode())
    return digest.hexdigest()


def is_edited(lesson) -> bool:
    """True when the cells differ from what the generator wrote (a learner's work)."""
    recorded = lesson.metadata.get("course", {}).get("sources_hash")
    return recorded != sources_hash(lesson)


def is_edited_text(text: str) -> bool:
    """A lesson file that cannot even be read counts as edited: never overwrite it silently."""
    try:
        return is_edited(nbformat.reads(text, as_version=4))
    except Exception:
        return True


def copy_lessons(dest: Path, force: bool = False) -> tuple[list[Path], list[Path]]:
    """Copy every lesson into ``dest``; return (written, refused): edited lessons only with ``force``."""
    source = lesson_folder()
    names = lesson_files(source)
    if not names:
        raise FileNotFoundError(f"no lessons in {source}: this copy of course_utils was built without them")
    written, refused = [], []
    for name in names:
        target = dest / name
        outcome = write_unless_edited(target, (source / name).read_text(encoding="utf-8"), force)
        if outcome != "same":
            (written if outcome == "written" else refused).append(target)
    return written, refused


def write_unless_edited(target: Path, text: str, force: bool = False) -> str:
    """Write ``text`` to ``target``: 'written', 'same' (already so) or 'refused' (a learner edited it)."""
    if target.exists():
        current = target.read_text(encoding="utf-8")
        if current == text:
            return "same"
        if not force and is_edited_text(current):
            return "refused"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return "written"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Copy the course's lessons into a folder.")
    parser.add_argument("dest", type=Path, help="the folder to copy the lessons into (created if needed)")
    parser.add_argument("--force", action="store_true", help="also overwrite lessons you have edited")
    args = parser.parse_args(argv)
    if args.dest.exists() and not args.dest.is_dir():
        print(f"error: {args.dest} is a file; give a folder", file=sys.stderr)
        return 2
    written, refused = copy_lessons(args.dest, args.force)
    for path in written:
        print(f"wrote {path}")
    for path in refused:
        print(f"kept {path}: it has edits of yours. Rename it to keep them and run again, "
              "or use --force to overwrite it.")
    if not written and not refused:
        print(f"the lessons in {args.dest} are up to date")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
