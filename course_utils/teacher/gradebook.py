"""What grading writes: a gradebook, one feedback file per learner, and a class summary plot.

Scores come from each verdict's ``score``: an exercise's ``points`` when it passes, else partial
credit by the weight of the test inputs it gets right (``Case.points``), 0 when it is not done.
Feedback shows the (redacted) check messages and the public hints, never the reference solutions
or expected values.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from ..checks import NOT_DONE, PASSED, TIMED_OUT
from ..exercises import get_exercise
from .roster import write_lms_exports
from .similarity import write_similarity

ICONS = {PASSED: "✅", NOT_DONE: "✏️", TIMED_OUT: "⏱️"}


def exercise_columns(results) -> list[str]:
    """Every exercise graded in the class, in lesson order, then in the order of the lesson."""
    columns = {}
    for result in sorted(results, key=lambda r: r.submission.lesson):
        columns.update(dict.fromkeys(result.verdicts))
    return list(columns)


def learners(results) -> dict[str, list]:
    """The results of each learner (one per lesson notebook), learners in alphabetical order."""
    by_learner: dict[str, list] = {}
    for result in sorted(results, key=lambda r: r.submission.learner):
        by_learner.setdefault(result.submission.learner, []).append(result)
    return by_learner


def scores(results_of_one: list, columns: list[str]) -> dict[str, float]:
    """Points per exercise for one learner (0 for an exercise with no verdict)."""
    verdicts = {e: v for r in results_of_one for e, v in r.verdicts.items()}
    return {e: float(verdicts.get(e, {}).get("score", 0.0)) for e in columns}


def write_gradebook(results, path: Path, roster: dict | None = None) -> None:
    """gradebook.csv: learner (with student id and name from the roster), one column per exercise,
    total, the maximum, and the problems found. A roster student with no submission gets a row of 0."""
    columns = exercise_columns(results)
    maximum = sum(get_exercise(e).points for e in columns)
    everyone = learners(results)
    if roster:
        everyone.update({learner: [] for learner in roster if learner not in everyone})
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        who = ["learner", "student_id", "name"] if roster is not None else ["learner"]
        writer.writerow([*who, *columns, "total", "max", "problems"])
        for learner, mine in sorted(everyone.items()):
            points = scores(mine, columns)
            problems = [p for r in mine for p in r.problems]
            ids = []
            if roster is not None:
                student = roster.get(learner)
                ids = [student.student_id, student.name] if student else ["", ""]
                problems += [] if student else ["not on the roster"]
                problems += [] if mine else ["no submission"]
            writer.writerow([learner, *ids, *(_number(points[e]) for e in columns),
                             _number(sum(points.values())), _number(maximum), "; ".join(problems)])


def feedback_text(learner: str, results_of_one: list) -> str:
    """A learner's feedback in Markdown: score, then each exercise's verdict and hint."""
    columns = exercise_columns(results_of_one)
    points = scores(results_of_one, columns)
    maximum = sum(get_exercise(e).points for e in columns)
    lines = [f"# Feedback for {learner}", "", f"**Score: {_number(sum(points.values()))} / {_number(maximum)}**", ""]
    for result in results_of_one:
        lines += [f"## {result.submission.lesson or result.submission.path.name}", ""]
        if result.problems:
            lines += ["Problems with your notebook:", *(f"- {p}" for p in result.problems), "", "Exercises:", ""]
        for exercise, verdict in result.verdicts.items():
            exercise_info = get_exercise(exercise)
            icon = ICONS.get(verdict["kind"], "❌")
            lines.append(f"- {icon} **{exercise}** ({_number(points[exercise])} / {_number(exercise_info.points)}): "
                         f"{verdict['kind']}")
            if verdict["text"]:
                lines.append(_indented(verdict["text"]))
            if verdict["kind"] != PASSED:
                lines.append(_indented(f"Hint: {exercise_info.hint}"))
        lines.append("")
    return "\n".join(lines)


def summary_figure(results):
    """Pass rate per exercise (left) and the most common catalogued mistakes (right)."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    columns = exercise_columns(results)
    everyone = learners(results)
    passed = [sum(any(r.verdicts.get(e, {}).get("kind") == PASSED for r in mine) for mine in everyone.values())
              / max(len(everyone), 1) for e in columns]
    mistakes = Counter(f"{e}: {v['mistake']}" for r in results for e, v in r.verdicts.items() if v.get("mistake"))
    common = mistakes.most_common(8)[::-1]
    fig = Figure(figsize=(12, 0.5 * max(len(columns), len(common), 4) + 1.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.barh(columns[::-1], [100 * p for p in passed[::-1]], color=plt.cm.tab10(2), label="learners who passed")
    left.set(title=f"Pass rate per exercise ({len(everyone)} learners)", xlabel="learners who passed (%)",
             ylabel="exercise", xlim=(0, 100))
    left.legend(loc="lower right")
    if common:
        right.barh([name for name, _ in common], [n for _, n in common], color=plt.cm.tab10(3),
                   label="answers with this mistake")
        right.legend(loc="lower right")
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        right.text(0.5, 0.5, "no catalogued mistake was made", ha="center", va="center", transform=right.transAxes)
    right.set(title="Most common catalogued mistakes", xlabel="number of answers", ylabel="exercise: mistake")
    return fig


def write_outputs(results, out: Path, roster: dict | None = None) -> list[Path]:
    """Write gradebook.csv, feedback/<learner>.md, summary.png and similarity.csv into ``out``, and
    with a roster canvas.csv and moodle.csv; return their paths."""
    feedback = out / "feedback"
    feedback.mkdir(parents=True, exist_ok=True)
    written = [out / "gradebook.csv", feedback, out / "summary.png"]
    write_gradebook(results, written[0], roster)
    for learner, mine in learners(results).items():
        (feedback / f"{safe_name(learner)}.md").write_text(feedback_text(learner, mine), encoding="utf-8")
    summary_figure(results).savefig(written[2], dpi=100)
    written.append(write_similarity(results, out / "similarity.csv"))
    if roster is not None:
        maxima = {}
        for result in results:
            lesson = result.submission.lesson or result.submission.path.stem
            maxima[lesson] = sum(get_exercise(e).points for e in result.verdicts)
        written += write_lms_exports(results, roster, maxima, out)
    return written


def safe_name(learner: str) -> str:
    return re.sub(r"[^\w.-]", "_", learner) or "learner"


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def _indented(text: str) -> str:
    return "\n".join("  " + line.strip() for line in text.splitlines())
