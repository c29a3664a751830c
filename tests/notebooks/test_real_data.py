"""The image lessons 05a-05c, 06b and 06c (solutions, strict) run a second time on real Fashion-MNIST.

The lessons read ``COURSE_DATASET``; here it is ``fashion_mnist``, so their own asserts check the
accuracy thresholds for real clothes. The genuine files come from Debian's ``dataset-fashion-mnist``
(or the Keras cache). Without them the tests skip with one line, except in CI (``CI=true``), where
a missing package is a failure.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from course_utils import data

pytestmark = pytest.mark.wide   # five notebooks again, about 4 min: make test-wide (CI) runs them, make test does not
ROOT = Path(__file__).resolve().parents[2]
HANG_LIMIT_S = 300  # a stalled kernel fails; the 60 s budget itself is measured by `make bench`


@pytest.fixture(scope="module")
def real_fashion_mnist():
    """Skip without real Fashion-MNIST; in CI its absence is a failure."""
    if data.load_images("fashion_mnist", offline=True, verbose=False).is_fallback:
        message = ("real Fashion-MNIST is not installed "
                   "(Debian: apt install dataset-fashion-mnist); "
                   "lessons 05 and 06 were not run on it")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}. CI must install it (.ci/run does).")
        pytest.skip(message)


def run_notebook(path: Path) -> tuple[str, float]:
    """Execute a notebook in a fresh kernel from its folder; return its printed text and seconds."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=HANG_LIMIT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []))
    return text, seconds


@pytest.mark.usefixtures("real_fashion_mnist")
@pytest.mark.parametrize("notebook", ["05a_keras_and_convolution.ipynb", "05b_cnn.ipynb", "05c_cnn_in_practice.ipynb",
                                      "06b_mlp_on_images.ipynb", "06c_mlp_in_practice.ipynb"])
def test_solution_passes_on_real_fashion_mnist(notebook, monkeypatch):
    monkeypatch.setenv("COURSE_DATASET", "fashion_mnist")
    monkeypatch.setenv("COURSE_STRICT", "1")
    monkeypatch.delenv("COURSE_FULL_RUN", raising=False)
    text, seconds = run_notebook(ROOT / "solutions" / notebook)
    print(f"{notebook} on real Fashion-MNIST: {seconds:.1f} s")
    assert "Data: Fashion-MNIST from" in text and "offline fallback" not in text
    if notebook in ("05c_cnn_in_practice.ipynb", "06c_mlp_in_practice.ipynb"):   # the parts with an optional full run
        assert "Full run skipped" in text
