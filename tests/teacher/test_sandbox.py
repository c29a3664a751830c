"""Tests for course_utils.teacher.sandbox: a kernel with its own home, limits, no network, hidden folders."""
import os
from pathlib import Path

import pytest

from course_utils.teacher.kernel import DIED, ERROR, OK, Kernel
from course_utils.teacher.sandbox import Sandbox, home_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fenced(tmp_path):
    """Start a kernel in ``tmp_path/work`` under a sandbox; yield (run, tmp_path)."""
    kernels = []

    def start(sandbox: Sandbox):
        work = tmp_path / "work"
        work.mkdir(exist_ok=True)
        env = {**os.environ, **home_env(tmp_path / "home")}
        kernel = Kernel(str(work), env, preexec=sandbox.preexec(),
                        ipc_dir=str(tmp_path) if sandbox.isolates else None)
        kernels.append(kernel)
        return kernel

    yield start
    for kernel in kernels:
        kernel.close()


def test_the_kernel_has_its_own_home(fenced, tmp_path):
    kernel = fenced(Sandbox())
    assert kernel.run("import os, pathlib; pathlib.Path('~/mine.txt').expanduser().write_text('x')", 30).status == OK
    assert (tmp_path / "home" / "mine.txt").read_text() == "x"


def test_memory_beyond_the_limit_is_a_memory_error(fenced):
    kernel = fenced(Sandbox(memory_mb=1024))
    run = kernel.run("block = bytearray(2 * 2**30)", 30)
    assert run.status == ERROR and run.error == "MemoryError"
    assert kernel.run("small = bytearray(50 * 2**20)", 30).status == OK


def test_cpu_time_beyond_the_limit_ends_the_kernel(fenced):
    kernel = fenced(Sandbox(cpu_seconds=3))
    assert kernel.run("while True:\n    pass", 60).status == DIED


def test_no_network_and_hidden_folders_where_the_machine_allows_it(fenced, tmp_path):
    sandbox = Sandbox(hidden=(str(ROOT / "solutions"),))
    if not sandbox.isolates:
        pytest.skip("this machine gives a process no namespaces of its own (needs Linux: root or user namespaces)")
    kernel = fenced(sandbox)
    code = (f"import os, socket\nseen = os.listdir({str(ROOT / 'solutions')!r})\n"
            "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=2)\n    net = 'reached'\n"
            "except OSError as error:\n    net = type(error).__name__\n"
            "open('seen.txt', 'w').write(f'{len(seen)} {net}')")
    assert kernel.run(code, 30).status == OK
    count, net = (tmp_path / "work" / "seen.txt").read_text().split()
    assert count == "0" and net != "reached"
    assert len(list((ROOT / "solutions").glob("*.ipynb"))) >= 9  # hidden from the kernel only


def test_the_description_says_what_holds():
    text = Sandbox(memory_mb=512, cpu_seconds=60).describe()
    assert "own home" in text and ("memory 512 MB, CPU 60 s" in text or os.name != "posix")
    assert "memory unlimited, CPU 60 s" in Sandbox(memory_mb=0, cpu_seconds=60).describe() or os.name != "posix"
