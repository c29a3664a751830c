"""Run a training script under torchrun from a notebook, safely.

- the launcher is ``python -m torch.distributed.run`` of this very Python, so the workers use the same packages;
- the rendezvous port is a free one (bind port 0 on 127.0.0.1, read the port the system gave);
- the workers' output is shown as it comes, and kept;
- a failing rank raises ``RankFailed`` carrying that rank's traceback;
- whatever happens (error, timeout, interrupt), no launched process survives: ``finally`` ends them all.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

WORKER_LINE = re.compile(r"^\[[A-Za-z_]+(\d+)\]:(.*)$")      # torchrun --tee prefixes lines with [default<rank>]:
ROOT_CAUSE_RANK = re.compile(r"Root Cause.*?rank\s*:\s*(\d+)", re.DOTALL)


class RankFailed(RuntimeError):
    """A worker failed; ``rank`` is the first rank that failed and ``traceback`` is its traceback."""

    def __init__(self, rank: int | None, traceback: str, log: str):
        self.rank, self.traceback, self.log = rank, traceback, log
        where = f"rank {rank}" if rank is not None else "a worker"
        super().__init__(f"{where} failed. Its traceback:\n{traceback}")


@dataclass(frozen=True)
class Run:
    """A finished torchrun: its command, everything it printed, and the wall-clock seconds it took."""

    command: list
    log: str
    seconds: float


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody uses right now: the system picks it when we bind port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def torchrun_command(module: str, args=(), nproc: int = 2, nnodes: int = 1, rdzv_endpoint: str | None = None,
                     rdzv_id: str = "course", log_dir: str | None = None) -> list[str]:
    """The torchrun command line that runs ``python -m module args`` on ``nproc`` processes per node.

    On many machines, run the same command on each one with ``nnodes`` = the number of machines and the
    same ``rdzv_endpoint`` (host:port of one of them) and ``rdzv_id``.
    """
    if nproc < 1 or nnodes < 1:
        raise ValueError(f"nproc and nnodes must be >= 1, got {nproc} and {nnodes}")
    endpoint = rdzv_endpoint or f"127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "torch.distributed.run", f"--nnodes={nnodes}", f"--nproc-per-node={nproc}",
               "--rdzv-backend=c10d", f"--rdzv-endpoint={endpoint}", f"--rdzv-id={rdzv_id}"]
    if log_dir:
        command += [f"--log-dir={log_dir}", "--tee=3"]    # each rank's output in a file, and on the console
    return command + ["-m", module, *map(str, args)]


def run_torchrun(module: str, args=(), nproc: int = 2, timeout: float = 120.0, echo: bool = True) -> Run:
    """Run ``module`` under torchrun on this machine; show the workers' lines; raise ``RankFailed`` on failure."""
    with tempfile.TemporaryDirectory(prefix="torchrun-") as log_dir:
        command = torchrun_command(module, args, nproc=nproc, log_dir=log_dir)
        start, lines = time.perf_counter(), []
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env=_child_env(), start_new_session=True)
        timed_out = threading.Event()
        timer = threading.Timer(timeout, lambda: (timed_out.set(), _end_all(process)))
        timer.start()
        try:
            for line in process.stdout:
                lines.append(line)
                if echo and WORKER_LINE.match(line):
                    print(line, end="", flush=True)
            code = process.wait()
        finally:
            timer.cancel()
            _end_all(process)
        log = "".join(lines)
        if timed_out.is_set():  # torchrun may exit with 0 when it is ended by SIGTERM
            raise TimeoutError(f"torchrun did not finish within {timeout} s; every process was ended")
        if code != 0:
            rank, traceback = failing_rank(log, Path(log_dir))
            raise RankFailed(rank, traceback, log)
        return Run(command, log, time.perf_counter() - start)


def failing_rank(log: str, log_dir: Path) -> tuple[int | None, str]:
    """The first rank that failed (torchrun's "Root Cause") and its traceback, read from its stderr file."""
    match = ROOT_CAUSE_RANK.search(log)
    rank = int(match.group(1)) if match else None
    tracebacks = {}
    for path in sorted(log_dir.glob("*/attempt_*/*/stderr.log")):
        text = re.sub(r"(?m)^\[rank\d+\]: ?", "", path.read_text(errors="replace"))
        if "Traceback" in text:
            tracebacks[int(path.parent.name)] = text[text.index("Traceback"):].rstrip()
    if rank in tracebacks:
        return rank, tracebacks[rank]
    if tracebacks:
        first = min(tracebacks)
        return first, tracebacks[first]
    return rank, log[-3000:]


def _child_env() -> dict:
    """This environment, with the folder that holds this course_utils first on PYTHONPATH."""
    env = os.environ.copy()
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _end_all(process: subprocess.Popen) -> None:
    """End torchrun and every worker. Workers run in their own sessions, so they are found first."""
    import psutil

    try:
        family = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for member in family:                       # torchrun ends its workers itself on SIGTERM, if it can
        _signal(member, signal.SIGTERM)
    _, alive = psutil.wait_procs(family, timeout=3)
    for member in alive:
        _signal(member, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=3)
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass


def _signal(member, sig) -> None:
    try:
        member.send_signal(sig)
    except Exception:  # already gone (or not ours any more): nothing to end
        pass
