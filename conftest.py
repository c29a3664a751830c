"""Test set-up shared by unit tests and notebook runs: offline, headless, strict solutions.

In CI (CI=true) a skipped test is a failure: everything CI is meant to run must run.
Locally, skipped browser tests are summed up in one line that says how to enable them.
"""
import os
import warnings
from pathlib import Path

import pytest

os.environ["COURSE_OFFLINE"] = "1"      # no test may wait on the network
os.environ.setdefault("MPLBACKEND", "Agg")
for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_threads, "1")  # parallel notebook kernels must not oversubscribe the CPU
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

pytest_plugins = ("pytester",)  # tests/test_ci_skips.py runs pytest on small test files of its own

ROOT = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
BROWSER_HOW_TO = ("install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`) and run `make test` again")


def pytest_addoption(parser):
    parser.addoption("--book", action="store_true",
                     help="run the tests of the built book in tests/book (make test-book builds it first)")
    parser.addoption("--wide", action="store_true",
                     help="run only the slow, wide tests marked `wide` (make test-wide; CI runs them)")


def pytest_configure(config):
    config.addinivalue_line("markers", "wide: a slow end-to-end test: make test-wide runs it, make test does not")
    config.addinivalue_line("markers", "fresh_expected: the check works out the reference's outcomes afresh "
                            "(tests/exercises/conftest.py)")
    _retry_kernel_start()


def _retry_kernel_start():
    """nbval starts one Jupyter kernel per notebook; one that dies before it answers (before any cell ran) is
    started once more, with a warning in the summary. A kernel that dies twice fails the notebook."""
    try:
        from nbval import kernel
    except ImportError:
        return
    if not getattr(kernel.start_new_kernel, "retries", False):
        kernel.start_new_kernel = with_one_retry(kernel.start_new_kernel)


def with_one_retry(start):
    """``start`` called once more, with a warning, when it raises RuntimeError (as jupyter_client does for a
    kernel that dies before replying)."""
    def start_with_one_retry(*args, **kwargs):
        try:
            return start(*args, **kwargs)
        except RuntimeError as error:
            warnings.warn(f"a notebook kernel died while starting ({error}) and was started again "
                          f"(in {kwargs.get('cwd')})")
            return start(*args, **kwargs)

    start_with_one_retry.retries = True
    return start_with_one_retry


# The slowest checks, seconds a test: the two Keras exercises build and run a model at every case, `train_mlp` and
# `accumulation_step` train at every case, and the torch and optimizer checks below took 0.3 to 1.1 s a test (126 s
# of `make test` in all). Round 28 made lesson 07a's two checks (a 28x28 image through the lesson's CNN and MLP) and
# `minibatch_indices` (its tests of bias at every check) about 1 s a test: `make test` took 9 min 53 s. Their exercise
# tests count as `wide`, so that `make test` stays well under 10 minutes (`make test-wide` runs them; CI runs both).
SLOW_EXERCISES = ("predict_one_image", "build_cnn", "train_mlp", "accumulation_step",
                  "torch_evaluate", "torch_train_step", "adam_step", "momentum_step",
                  "saliency_map", "integrated_gradients", "minibatch_indices")


def _is_wide(item) -> bool:
    """Marked `wide`, an English lesson in lessons/ (the friendly copies of solutions/, which make test runs: 156 s of
    its 2 x 9 min), or a test in tests/exercises of a slow exercise (named in its id or given as a parameter)."""
    if item.get_closest_marker("wide") is not None or item.path.parent == ROOT / "lessons":
        return True
    params = getattr(getattr(item, "callspec", None), "params", {})
    return item.path.parent.name == "exercises" and any(
        name.removeprefix("torch_") in item.nodeid or any(isinstance(value, str) and value == name
                                                          for value in params.values())
        for name in SLOW_EXERCISES)   # a test of torch_evaluate is often named test_..._evaluate_...


def pytest_collection_modifyitems(config, items):
    """`make test` leaves the `wide` tests out (deselected, not skipped); `--wide` runs only them."""
    wide = config.getoption("--wide")
    keep = [item for item in items if _is_wide(item) == wide]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def pytest_ignore_collect(collection_path, config):
    """tests/book checks the built book: `make test-book` runs it, `make test` leaves it out."""
    if collection_path.name == "book" and collection_path.parent == ROOT / "tests" and not config.getoption("--book"):
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts: solutions run strict, lessons run friendly."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        os.environ["COURSE_STRICT"] = "1" if path.parent.name == "solutions" else "0"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, turn every skip into a failure that keeps the skip's reason."""
    report = (yield).get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


def pytest_terminal_summary(terminalreporter):
    """One clear line when the browser tests did not run."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if "test_browser" in r.nodeid or "test_frontends" in r.nodeid]
    if skipped:
        terminalreporter.write_line(f"NOTE: {len(skipped)} browser tests were skipped (no Chromium); to run them, "
                                    f"{BROWSER_HOW_TO}.", yellow=True, bold=True)
