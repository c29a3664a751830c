"""Measure the course's budgets and print a table (`make bench`).

- every notebook's wall time, executed like the test run (offline, solutions strict), budget 60 s;
- every widget's redraw latency over a sweep of control values, median and 95th percentile, budget 100 ms;
- with --grade: grading throughput, 30 solved copies of lesson 01a graded two at a time (notebooks per minute).
- lesson 08b's DDP epoch on 1 and 2 processes (no budget: the speed-up, reported).

    python tests/benchmark.py                # everything
    python tests/benchmark.py --widgets      # widgets only
    python tests/benchmark.py lessons/01a_neurons_and_activations.ipynb
    python tests/benchmark.py --grade        # grading throughput only
    python tests/benchmark.py --memory       # each lesson's kernel peak memory (RSS)
    python tests/benchmark.py --voila 20     # load lesson 04c in Voila 20 times; every load must render
    python tests/benchmark.py --full-runs     # only the full runs on real Fashion-MNIST (lessons 05, 06):
                                              # epochs chosen on validation, the test set used once

With real Fashion-MNIST installed, `make bench` also times lessons 05 and 06 on it and runs their full runs.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
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


def time_ddp_epoch(nproc: int) -> float:
    """Seconds of the last epoch of lesson 08b's DDP run (its arguments) on ``nproc`` processes, start-up excluded."""
    import tempfile

    from course_utils.distributed import ddp_train, launch

    args = ["--samples", 8192, "--features", 64, "--hidden", 256, "--classes", 4, "--batch", 256, "--epochs", 2]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.npz"
        launch.run_torchrun("course_utils.distributed.ddp_train", [*args, "--out", out], nproc=nproc, echo=False)
        return float(ddp_train.load_result(out)["epoch_seconds"][-1])
def peak_rss(path: Path, poll_s: float = 0.05) -> tuple[float, str]:
    """Execute one notebook like ``time_notebook``; return (kernel's peak RSS in MB, error or '')."""
    import threading

    import nbclient
    import nbformat
    import psutil

    os.environ["COURSE_STRICT"] = "1" if path.parent.name == "solutions" else "0"
    client = nbclient.NotebookClient(nbformat.read(path, as_version=4), timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    peak, done = [0], threading.Event()

    def poll() -> None:  # the kernel and its children, from its start to the end of the run
        while not done.is_set():
            with contextlib.suppress(psutil.Error, AttributeError):
                kernel = psutil.Process(client.km.provisioner.process.pid)
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in [kernel, *kernel.children(recursive=True)]))
            time.sleep(poll_s)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        client.execute()
        error = ""
    except Exception as exc:  # report the failure in the table, keep measuring the rest
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:80]}"
    done.set()
    watcher.join()
    return peak[0] / 2**20, error


def voila_loads(count: int, notebook: str = "04c_optimizers_in_practice.ipynb") -> int:
    """Load ``notebook`` from lessons/ in Voila ``count`` times, each in a fresh page and kernel; return failures."""
    import tempfile

    from playwright.sync_api import sync_playwright

    import test_browser
    from test_frontends import shut_down_kernels, voila_render

    failures = 0
    with tempfile.TemporaryDirectory() as home, sync_playwright() as playwright:
        shutil.copytree(ROOT / "lessons", Path(home) / "lessons")
        server = test_browser.LabServer(Path(home) / "lessons", Path(home))
        chromium = playwright.chromium.launch(executable_path=test_browser.CHROMIUM,
                                              args=test_browser.CHROMIUM_FLAGS, headless=True)
        try:
            server.wait_until_up()
            print(f"{'Voila load of ' + notebook:<40} {'seconds':>8}  verdict")
            for load in range(1, count + 1):
                context = chromium.new_context()
                page = context.new_page()
                seconds, stuck = voila_render(page, server, notebook)
                images = page.locator(test_browser.WIDGET_IMAGE)
                with contextlib.suppress(Exception):
                    images.nth(1).wait_for(timeout=60_000)
                verdict = f"STUCK on {stuck!r}" if stuck else f"ok, {images.count()} widget pictures"
                failures += bool(stuck) or images.count() < 2
                print(f"{'load ' + str(load):<40} {seconds:8.1f}  {verdict}", flush=True)
                context.close()
                shut_down_kernels(server)
        finally:
            chromium.close()
            server.stop()
    print(f"{count - failures} of {count} loads rendered")
    return failures


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
    yield "attribution explorer (image menu)", widgets.demo_explorer, "image", list(range(8)) * 3
    yield "attribution explorer (method menu)", widgets.demo_explorer, "method", list(widgets.ATTRIBUTION_METHODS) * 5


def time_widget(make, control: str, values) -> np.ndarray:
    """Redraw times in ms for setting ``control`` to each value in turn (after one warm-up)."""
    widget = make()
    getattr(widget, control).value = values[-1]
    widget.redraw_seconds.clear()
    for value in values:
        getattr(widget, control).value = value
    return 1000 * np.asarray(widget.redraw_seconds)


def grading_throughput(copies: int = 30, workers: int = 2) -> tuple[float, float]:
    """Grade ``copies`` solved copies of lesson 01a, ``workers`` at a time; return (seconds, notebooks per minute)."""
    import tempfile

    import nbformat
    from synthetic_class import LESSON, notebooks

    from course_utils.teacher.grade import find_submissions, grade_class

    solved = nbformat.writes(notebooks()["solved"])
    with tempfile.TemporaryDirectory() as folder:
        for number in range(copies):
            path = Path(folder) / f"learner_{number:02d}" / f"{LESSON}.ipynb"
            path.parent.mkdir()
            path.write_text(solved, encoding="utf-8")
        start = time.perf_counter()
        results = grade_class(find_submissions([Path(folder)], ROOT / "solutions"), ROOT / "solutions",
                              workers=workers, progress=lambda line: None)
        seconds = time.perf_counter() - start
    assert all(v["kind"] == "passed" for r in results for v in r.verdicts.values()), "a solved copy did not pass"
    return seconds, 60 * copies / seconds
def full_runs() -> int:
    """Lesson 05's CNN recipes and lesson 06's MLP on all of real Fashion-MNIST, on every core.

    Each run holds out a validation split of the training images, prints the seconds and
    validation accuracy of every epoch, chooses its epoch on validation within its budget, and
    reports the test accuracy of that epoch only (the test set is used once per run). Saves the
    accuracy-versus-time frontier to artifacts/frontier.png. Runs in a fresh process so that TensorFlow and PyTorch may use all cores.
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
    """Time lessons 05 and 06 (solutions) on real Fashion-MNIST, as tests/notebooks/test_real_data.py runs them."""
    from course_utils import data

    if data.load_images("fashion_mnist", offline=True, verbose=False).is_fallback:
        return 0
    over = 0
    os.environ["COURSE_DATASET"] = "fashion_mnist"
    try:
        for name in ("05a_keras_and_convolution.ipynb", "05b_cnn.ipynb", "05c_cnn_in_practice.ipynb",
                     "06b_mlp_on_images.ipynb", "06c_mlp_in_practice.ipynb"):
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
    parser.add_argument("--grade", action="store_true", help="only the grading throughput")
    parser.add_argument("--memory", action="store_true", help="only each notebook's kernel peak RSS")
    parser.add_argument("--voila", type=int, metavar="N", help="only N Voila loads of lesson 04c")
    parser.add_argument("--full-runs", action="store_true", help="only the full runs on real Fashion-MNIST")
    args = parser.parse_args(argv)
    if args.full_runs:
        return full_runs()
    os.environ["COURSE_OFFLINE"] = "1"
    if args.grade:
        seconds, per_minute = grading_throughput()
        print(f"{'grading 30 x lesson 01a, 2 at a time':<40} {seconds:8.1f} s  {per_minute:.1f} notebooks/minute")
        return 0
    if args.voila:
        return 1 if voila_loads(args.voila) else 0
    over = 0
    if args.memory:
        print(f"{'notebook':<40} {'peak MB':>8}  verdict")
        for path in args.notebooks or sorted((ROOT / "lessons").glob("*.ipynb")):
            megabytes, error = peak_rss(path.resolve())
            over += bool(error)
            print(f"{str(path.resolve().relative_to(ROOT)):<40} {megabytes:8.0f}  {'FAILED ' + error if error else 'ok'}",
                  flush=True)
        return 1 if over else 0
    os.environ.setdefault("MPLBACKEND", "Agg")  # timings only; the memory run uses the learner's inline backend
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
    if not args.widgets:
        one, two = time_ddp_epoch(1), time_ddp_epoch(2)
        print(f"lesson 08b DDP epoch: {one:.3f} s on 1 process, {two:.3f} s on 2, speed-up {one / two:.2f}\n")
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
    sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "teacher")]
    sys.exit(main())
