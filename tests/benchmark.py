"""Measure the course's budgets and print a table (`make bench`).

- every notebook's wall time, executed like the test run (offline, solutions strict), budget 60 s;
- every widget's redraw latency over a sweep of control values, median and 95th percentile, budget 100 ms.

    python tests/benchmark.py                # everything
    python tests/benchmark.py --widgets      # widgets only
    python tests/benchmark.py lessons/01_neurons.ipynb
    python tests/benchmark.py --full-runs     # only the full runs on real Fashion-MNIST (lessons 05, 06)

With real Fashion-MNIST installed, `make bench` also times lessons 05 and 06 on it and runs their full runs.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_BUDGET_S = 60.0
REDRAW_BUDGET_MS = 100.0


def time_notebook(path: Path) -> tuple[float, str]:
    """Execute one notebook in a fresh kernel from its folder; return (seconds, error or '')."""
    import nbclient
    import nbformat

    os.environ["COURSE_STRICT"] = "1" if path.parent.name == "solutions" else "0"
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        error = ""
    except Exception as exc:  # report the failure in the table, keep measuring the rest
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:80]}"
    return time.perf_counter() - start, error


def widget_sweeps():
    """(name, make widget, control attribute, values to sweep) for every widget of the course."""
    from course_utils import widgets

    sweep = list(np.round(np.linspace(-3, 3, 31), 1))
    yield "neuron explorer (w1 slider)", widgets.NeuronExplorer, "w1", sweep
    yield "neuron explorer (b slider)", widgets.NeuronExplorer, "b", sweep
    lab_lrs = [float(lr) for lr in widgets.LAB_LRS]
    yield "learning-rate lab (lr slider)", widgets.LearningRateLab, "lr", lab_lrs
    yield "learning-rate lab (optimizer menu)", widgets.LearningRateLab, "optimizer", list(widgets.OPTIMIZERS) * 5
    yield "optimizer race (lr slider)", widgets.OptimizerRace, "lr", list(10.0 ** np.linspace(-3, -0.5, 26))
    yield "optimizer race (steps slider)", widgets.OptimizerRace, "steps", list(range(20, 520, 20))


def time_widget(make, control: str, values) -> np.ndarray:
    """Redraw times in ms for setting ``control`` to each value in turn (after one warm-up)."""
    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, display() would print reprs
        widget = make()
        getattr(widget, control).value = values[-1]
        widget.redraw_seconds.clear()
        for value in values:
            getattr(widget, control).value = value
    return 1000 * np.asarray(widget.redraw_seconds)


def full_runs() -> int:
    """Lesson 05's CNN recipes and lesson 06's MLP on all of real Fashion-MNIST, on every core.

    Prints the seconds and test accuracy of every epoch and saves the accuracy-versus-time frontier
    to artifacts/frontier.png. Runs in a fresh process so that TensorFlow and PyTorch may use all cores.
    """
    import subprocess

    from course_utils import data

    if data.load_images("fashion_mnist", offline=True, verbose=False).is_fallback:
        print("full runs skipped: real Fashion-MNIST is not installed (apt install dataset-fashion-mnist)")
        return 0
    cores = str(os.cpu_count() or 1)
    env = {**os.environ, "TF_NUM_INTRAOP_THREADS": cores, "OMP_NUM_THREADS": cores,
           "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    plot = ROOT / "artifacts" / "frontier.png"
    return subprocess.run([sys.executable, "-m", "course_utils.recipes", str(plot)], env=env,
                          cwd=ROOT).returncode


def real_data_notebooks() -> int:
    """Time lessons 05 and 06 (solutions) on real Fashion-MNIST, as tests/test_real_data.py runs them."""
    from course_utils import data

    if data.load_images("fashion_mnist", offline=True, verbose=False).is_fallback:
        return 0
    over = 0
    os.environ["COURSE_DATASET"] = "fashion_mnist"
    try:
        for name in ("05_keras_cnn.ipynb", "06_pytorch_mlp.ipynb"):
            seconds, error = time_notebook(ROOT / "solutions" / name)
            ok = not error and seconds <= NOTEBOOK_BUDGET_S
            over += not ok
            verdict = "ok" if ok else "OVER" if not error else "FAILED " + error
            print(f"{'solutions/' + name + ' (Fashion)':<40} {seconds:8.1f}  {verdict}", flush=True)
    finally:
        del os.environ["COURSE_DATASET"]
    return over


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in lessons/ and solutions/")
    parser.add_argument("--widgets", action="store_true", help="only the widget redraws")
    parser.add_argument("--full-runs", action="store_true", help="only the full runs on real Fashion-MNIST")
    args = parser.parse_args(argv)
    if args.full_runs:
        return full_runs()
    os.environ["COURSE_OFFLINE"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    over = 0
    if not args.widgets:
        paths = args.notebooks or sorted((ROOT / "lessons").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
        print(f"{'notebook':<40} {'seconds':>8}  verdict")
        for path in paths:
            seconds, error = time_notebook(path.resolve())
            ok = not error and seconds <= NOTEBOOK_BUDGET_S
            over += not ok
            print(f"{str(path.resolve().relative_to(ROOT)):<40} {seconds:8.1f}  {'ok' if ok else 'OVER' if not error else 'FAILED ' + error}",
                  flush=True)
        if not args.notebooks:
            over += real_data_notebooks()
        print()
    if args.notebooks and not args.widgets:
        return 1 if over else 0
    print(f"{'widget redraw':<40} {'median ms':>9} {'p95 ms':>8}  verdict")
    for name, make, control, values in widget_sweeps():
        ms = time_widget(make, control, values)
        ok = np.median(ms) <= REDRAW_BUDGET_MS
        over += not ok
        print(f"{name:<40} {np.median(ms):9.1f} {np.percentile(ms, 95):8.1f}  {'ok' if ok else 'OVER'}", flush=True)
    if not args.widgets:
        print()
        over += full_runs() != 0
    return 1 if over else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
