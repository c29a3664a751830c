"""Grade a class: run every learner's lesson notebook in its own kernel, then judge their own answers.

    python -m course_utils.teacher.grade SUBMISSIONS... --out DIR      # make grade SUBMISSIONS=...

SUBMISSIONS are notebooks or folders of them (searched recursively). The learner is the file's name
(``alice.ipynb``) or, inside a folder, the first folder below it (``alice/01a_neurons_and_activations.ipynb``).
Each notebook runs offline, in friendly mode, in a temporary folder, with a time limit per cell and
per notebook; a cell that hangs or kills the kernel is skipped and the notebook run again without
it. Then, in the same kernel, each of the learner's own answers runs on the test inputs, and only
the outcomes come back, as plain data (``course_utils.marking.collect``); this process judges them
(``course_utils.teacher.verdicts``), so learner code never touches a verdict. Several notebooks run at
once, one kernel each, each fenced in by ``teacher.sandbox``, each on the lesson's graded release
(``teacher.release``): no reference solution can be imported there.
Writes ``gradebook.csv``, ``feedback/<learner>.md``, ``summary.png`` and ``similarity.csv`` into DIR,
and with ``--roster roster.csv`` also ``canvas.csv`` and ``moodle.csv`` (``teacher.roster``).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ..checks import NOT_DONE, TIMED_OUT, WRONG
from .kernel import DIED, ERROR, OK, Kernel
from .kernel import TIMED_OUT as CELL_TIMED_OUT
from ..exercises import get_exercise
from .notebook_format import exercise_bindings, solution_notebooks
from .release import PACKAGE, ReleaseError, build_release
from .sandbox import Sandbox, home_env
from .verdicts import judged, sent_cases

COURSE_ROOT = Path(__file__).resolve().parents[2]
KERNEL_ENV = {"COURSE_OFFLINE": "1", "COURSE_STRICT": "0", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3",
              "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


@dataclass(frozen=True)
class Limits:
    """Time limits in seconds, and how many kernels one notebook may use up (each crash costs one)."""

    cell: float = 60.0
    notebook: float = 300.0
    grading: float = 120.0
    kernels: int = 4


@dataclass(frozen=True)
class Submission:
    path: Path
    learner: str
    lesson: str   # the solution notebook's stem, e.g. "01a_neurons_and_activations"; "" when unknown


@dataclass
class Result:
    """One graded notebook: a verdict per exercise ({'kind', 'text', 'mistake'}) and what went wrong."""

    submission: Submission
    verdicts: dict[str, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def find_submissions(paths: list[Path], solutions: Path, lesson: str = "") -> list[Submission]:
    """Every notebook under ``paths``, with its learner and lesson."""
    if lesson and not (solutions / f"{lesson}.ipynb").exists():
        raise ValueError(f"no lesson called {lesson} in {solutions}")
    found = []
    for root in paths:
        if root.is_file():
            found.append(_submission(root, root.stem, solutions, lesson))
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"no notebook or folder at {root}")
        for path in sorted(root.rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts:
                parts = path.relative_to(root).parts
                found.append(_submission(path, parts[0] if len(parts) > 1 else path.stem, solutions, lesson))
    known = {s.lesson for s in found if s.lesson}
    if len(known) == 1:   # an unreadable, renamed notebook belongs to the class's only lesson
        found = [s if s.lesson else Submission(s.path, s.learner, next(iter(known))) for s in found]
    seen = {}
    for s in found:
        if (s.learner, s.lesson) in seen:
            raise ValueError(f"two notebooks for {s.learner}, lesson {s.lesson}: {seen[s.learner, s.lesson]} and "
                             f"{s.path}. Keep one.")
        seen[s.learner, s.lesson] = s.path
    return found


def _submission(path: Path, learner: str, solutions: Path, lesson: str) -> Submission:
    return Submission(path, learner, lesson or lesson_of(path, solutions))


def lesson_of(path: Path, solutions: Path) -> str:
    """The lesson a notebook was generated from (its metadata), else the one its file name starts with."""
    stems = [p.stem for p in solution_notebooks(solutions)]
    try:
        origin = json.loads(path.read_text(encoding="utf-8"))["metadata"]["course"]["generated_from"]
        if Path(origin).stem in stems:
            return Path(origin).stem
    except Exception:  # not JSON, or no course metadata: fall back to the name
        pass
    return next((s for s in stems if path.stem.startswith(s)), "") or next(
        (s for s in stems if path.stem[:3] == s[:3]), "")


def grade_submission(submission: Submission, bindings: dict[str, str], limits: Limits,
                     sandbox: Sandbox = Sandbox(), release: Path | None = None) -> Result:
    """Run one notebook and judge every exercise in ``bindings``; never raises, never hangs.

    With ``release`` (a graded release's folder) the kernel imports ``course_utils`` from there, and
    the full package is hidden from it where the sandbox can hide folders.
    """
    import nbformat

    start = time.monotonic()
    result = Result(submission)
    try:
        nb = nbformat.read(submission.path, as_version=4)
        cells = [(n, c.source) for n, c in enumerate((c for c in nb.cells if c.cell_type == "code"), 1)]
    except Exception as exc:
        result.problems.append(f"the notebook could not be read ({type(exc).__name__}), so nothing was graded. "
                               "Was the file saved completely?")
    else:
        with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
            workdir = Path(tmp) / (submission.path.parent.name or "notebook")
            workdir.mkdir()
            try:
                _run_and_mark(cells, bindings, limits, workdir, Path(tmp), result, sandbox, release)
            except Exception as exc:  # e.g. no kernel could start: report it, the exercises score 0
                result.problems.append(f"the grader failed on this notebook: {type(exc).__name__}: {exc}")
    for exercise in bindings:
        result.verdicts.setdefault(exercise, {"kind": NOT_DONE, "text": "not graded", "mistake": "", "score": 0.0})
    result.problems = list(dict.fromkeys(result.problems))
    result.seconds = time.monotonic() - start
    return result


def _run_and_mark(cells, bindings, limits: Limits, workdir: Path, scratch: Path, result: Result,
                  sandbox: Sandbox, release: Path | None) -> None:
    """Run the cells and mark; after a crash or hang, start a new kernel without the cell that caused it."""
    skip: set[int] = set()
    env = {**os.environ, **KERNEL_ENV, **home_env(scratch / "home")}
    if release is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(release), env.get("PYTHONPATH", "")) if p)
        sandbox = dataclasses.replace(sandbox, hidden=(*sandbox.hidden, str(PACKAGE)))
    ipc_dir = str(scratch) if sandbox.isolates else None  # no network in the kernel: talk through files
    for _ in range(limits.kernels):
        with Kernel(str(workdir), env, preexec=sandbox.preexec(), ipc_dir=ipc_dir) as kernel:
            if _run_cells(kernel, cells, skip, limits, result.problems):
                continue
            left = {e: v for e, v in bindings.items() if e not in result.verdicts}
            if not left or not _mark_in_kernel(kernel, left, limits, scratch, result):
                return
    result.problems.append(f"gave up after {limits.kernels} kernels had to be restarted")


def _run_cells(kernel: Kernel, cells, skip: set[int], limits: Limits, problems: list[str]) -> bool:
    """Run every cell not in ``skip``; True when a cell lost the kernel (it is then added to ``skip``)."""
    deadline = time.monotonic() + limits.notebook
    for number, source in cells:
        if number in skip or not source.strip():
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            problems.append(f"the notebook's time limit ({limits.notebook:g} s) ran out before code cell {number}; "
                            "the cells from there on did not run")
            return False
        limit = min(limits.cell, left)
        run = kernel.run(source, limit)
        where = f"code cell {number} ({_first_line(source)})"
        if run.status == CELL_TIMED_OUT:
            skip.add(number)
            problems.append(f"{where} was stopped after {limit:.0f} s: is there an endless loop?")
        elif run.status == DIED:
            skip.add(number)
            problems.append(f"{where} crashed the kernel; the notebook was run again without it")
        elif run.status == ERROR:
            problems.append(f"{where} raised {run.error}")
        if not kernel.alive:
            return True
    return False


MAX_RECORDS_BYTES = 256 * 2**20  # what one notebook's kernel may send back


def _mark_in_kernel(kernel: Kernel, bindings: dict[str, str], limits: Limits, scratch: Path,
                    result: Result) -> bool:
    """Collect each answer's outcomes in the kernel as plain data, and judge them here.

    True when an exercise crashed or hung the kernel (it then scores 0, and the rest are graded in a
    new kernel). Whatever the kernel writes is only data: the verdicts are computed in this process.
    """
    token = uuid.uuid4().hex   # names the learner's code cannot guess
    cases_path, path = scratch / f"cases-{token}.json", scratch / f"outcomes-{token}.jsonl"
    cases_path.write_text(json.dumps({e: sent_cases(get_exercise(e)) for e in bindings}), encoding="utf-8")
    code = (f"from course_utils.marking import collect as _course_collect\n"
            f"_course_collect({bindings!r}, globals(), {str(cases_path)!r}, {str(path)!r})")
    run = kernel.run(code, limits.grading)
    started = []
    for record in _records(path):
        exercise = record.get("exercise")
        if exercise not in bindings or exercise in result.verdicts:
            continue
        if record.get("started") is True:
            started.append(exercise)
        else:
            result.verdicts[exercise] = judged(exercise, record)
    unfinished = [e for e in started if e not in result.verdicts]
    if run.status == OK and not unfinished:
        return False
    if not unfinished:   # the collecting code itself failed: say so, never guess a score
        result.problems.append(f"grading failed ({run.status} {run.error}); the remaining exercises score 0")
        return False
    exercise = unfinished[0]
    if run.status == DIED:
        text = "your code crashed the Python process (the kernel died) while it was being checked"
        result.verdicts[exercise] = {"kind": WRONG, "text": text, "mistake": "", "score": 0.0}
    else:
        text = f"checking it did not finish within {limits.grading:g} s"
        result.verdicts[exercise] = {"kind": TIMED_OUT, "text": text, "mistake": "", "score": 0.0}
    result.problems.append(f"{exercise}: {text}; the other exercises were graded in a new kernel")
    return True


def _records(path: Path) -> list[dict]:
    """The JSON objects in ``path``, one a line; lines that are not JSON objects are skipped."""
    if not path.exists() or path.stat().st_size > MAX_RECORDS_BYTES:
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _first_line(source: str) -> str:
    line = next((s.strip() for s in source.splitlines() if s.strip()), "")
    return f"`{line[:40]}{'...' if len(line) > 40 else ''}`"


def grade_class(submissions: list[Submission], solutions: Path, limits: Limits = Limits(), workers: int = 2,
                progress=print, sandbox: Sandbox = Sandbox()) -> list[Result]:
    """Grade every submission, ``workers`` notebooks at a time; results come back in input order."""
    bindings = {lesson: exercise_bindings(solutions / f"{lesson}.ipynb")
                for lesson in {s.lesson for s in submissions if s.lesson}}
    results = []
    with tempfile.TemporaryDirectory(prefix="release-") as folder, \
            ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        releases = {lesson: _release(lesson, solutions, Path(folder), progress) for lesson in sorted(bindings)}
        futures = [pool.submit(grade_submission, s, bindings.get(s.lesson, {}), limits, sandbox,
                               releases.get(s.lesson)) for s in submissions]
        for submission, future in zip(submissions, futures):
            try:
                result = future.result()
            except Exception as exc:  # the worker process itself died: report it, grade the rest
                result = Result(submission, problems=[f"the grader failed on this notebook: {exc!r}"])
            if not submission.lesson:
                result.problems.append("could not tell which lesson this is: name it like the lesson "
                                       "(e.g. 01a_neurons_and_activations.ipynb) or pass --lesson")
            results.append(result)
            progress(f"graded {submission.learner:<20} {submission.lesson:<16} {result.seconds:6.1f} s"
                     + (f"  ({len(result.problems)} problem(s))" if result.problems else ""))
    return results


def _release(lesson: str, solutions: Path, folder: Path, progress) -> Path | None:
    """The lesson's graded release for the kernels, or None (then they see the full package, and we say so)."""
    try:
        return build_release(lesson, folder / lesson, solutions)
    except ReleaseError as why:
        progress(f"warning: {lesson} is graded with the full course package, so its reference solutions can be "
                 f"imported by learner code: {why}")
        return None


def main(argv=None) -> int:
    from .gradebook import write_outputs
    from .roster import read_roster

    parser = argparse.ArgumentParser(description="Grade learners' lesson notebooks.")
    parser.add_argument("submissions", nargs="+", type=Path, help="notebooks, or folders of notebooks")
    parser.add_argument("--out", type=Path, required=True, help="folder for gradebook.csv, feedback/, summary.png")
    parser.add_argument("--lesson", default="", help="the lesson, e.g. 01a_neurons_and_activations (default: from each notebook)")
    parser.add_argument("--solutions", type=Path, default=COURSE_ROOT / "solutions")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--cell-timeout", type=float, default=Limits.cell)
    parser.add_argument("--notebook-timeout", type=float, default=Limits.notebook)
    parser.add_argument("--grading-timeout", type=float, default=Limits.grading)
    parser.add_argument("--memory-mb", type=int, default=Sandbox.memory_mb, help="memory per kernel (0: none)")
    parser.add_argument("--cpu-seconds", type=int, default=Sandbox.cpu_seconds, help="CPU time per kernel (0: none)")
    parser.add_argument("--roster", type=Path, help="roster.csv (learner, student_id, name[, email, "
                        "sis_login_id, section]): adds ids to the gradebook and writes canvas.csv, moodle.csv")
    args = parser.parse_args(argv)
    try:
        roster = read_roster(args.roster) if args.roster else None
        submissions = find_submissions(args.submissions, args.solutions, args.lesson)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not submissions:
        print("error: no notebooks found", file=sys.stderr)
        return 2
    limits = Limits(args.cell_timeout, args.notebook_timeout, args.grading_timeout)
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.gettempdir()).resolve()
    hidden = [p.resolve() for p in (args.solutions, args.out, *args.submissions) if p.is_dir()]
    sandbox = Sandbox(args.memory_mb, args.cpu_seconds,   # never hide the folder the kernels work in
                      tuple(str(p) for p in hidden if not scratch.is_relative_to(p)))
    print(f"sandbox: {sandbox.describe()}")
    start = time.monotonic()
    results = grade_class(submissions, args.solutions, limits, args.workers, sandbox=sandbox)
    seconds = time.monotonic() - start
    written = write_outputs(results, args.out, roster)
    print(f"graded {len(results)} notebooks in {seconds:.0f} s ({60 * len(results) / seconds:.1f} notebooks/minute, "
          f"{args.workers} at a time)")
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
