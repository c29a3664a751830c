"""Test set-up shared by unit tests and notebook runs: offline, headless, strict solutions."""
import os
from pathlib import Path

import pytest

os.environ["COURSE_OFFLINE"] = "1"      # no test may wait on the network
os.environ.setdefault("MPLBACKEND", "Agg")
for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_threads, "1")  # parallel notebook kernels must not oversubscribe the CPU
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts: solutions run strict, lessons run friendly."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        os.environ["COURSE_STRICT"] = "1" if path.parent.name == "solutions" else "0"
