"""Run code in a fresh Jupyter kernel under a time limit that always holds.

``Kernel.run(code, seconds)`` returns when the code finishes, when the kernel dies, or when time is
up. When time is up it interrupts the kernel; if the code does not stop within a few seconds (it
catches KeyboardInterrupt, or sits in C code), the kernel is killed. Either way the caller is never
left waiting.
"""
from __future__ import annotations

import queue
import subprocess
import time
from dataclasses import dataclass

OK, ERROR, TIMED_OUT, DIED = "ok", "error", "timed out", "died"
INTERRUPT_GRACE_S = 5.0


@dataclass
class CellRun:
    """What one execution did: ``status`` (OK, ERROR, TIMED_OUT, DIED), the error's name, and seconds."""

    status: str
    error: str = ""
    seconds: float = 0.0


class Kernel:
    """A python3 kernel in ``cwd`` with environment ``env``; use it as a context manager.

    ``preexec`` runs in the kernel's process before it starts (the sandbox's limits). With
    ``ipc_dir`` the kernel is reached through socket files there instead of TCP, which also works
    when the kernel has no network of its own.
    """

    def __init__(self, cwd: str, env: dict[str, str], startup_timeout: float = 60.0, preexec=None,
                 ipc_dir: str | None = None):
        from jupyter_client.manager import KernelManager

        options = {"transport": "ipc", "ip": f"{ipc_dir}/kernel"} if ipc_dir else {}
        self.manager = KernelManager(kernel_name="python3", **options)
        launch = {"preexec_fn": preexec} if preexec else {}
        self.manager.start_kernel(cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **launch)
        self.client = self.manager.client()
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            self.client.stop_channels()
            self.manager.shutdown_kernel(now=True)
            raise
        self.alive = True

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the kernel at once, whatever it is doing."""
        try:
            self.client.stop_channels()
        finally:
            if self.manager.has_kernel:
                self.manager.shutdown_kernel(now=True)
            self.alive = False

    def run(self, code: str, seconds: float) -> CellRun:
        """Execute ``code``; give up after ``seconds``. A kernel that will not stop is killed."""
        start = time.monotonic()
        msg_id = self.client.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
        status, error = self._wait(msg_id, start + max(seconds, 0.1))
        if status == TIMED_OUT:
            self.manager.interrupt_kernel()
            after, _ = self._wait(msg_id, time.monotonic() + INTERRUPT_GRACE_S)
            if after != OK and after != ERROR:
                self.close()
        elif status == DIED:
            self.close()
        return CellRun(status, error, time.monotonic() - start)

    def _wait(self, msg_id: str, deadline: float) -> tuple[str, str]:
        """Wait for the kernel's reply to ``msg_id`` (or its death, or the deadline).

        The reply on the shell channel is the one message the protocol addresses to this client; the
        "idle" status on IOPub is broadcast and can be missed under load (a cell then looked endless),
        so IOPub is only emptied here, never waited on.
        """
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return TIMED_OUT, ""
            try:
                msg = self.client.get_shell_msg(timeout=min(1.0, left))
            except queue.Empty:
                if not self.manager.is_alive():
                    return DIED, ""
                continue
            finally:
                self._drop_output()
            if msg["parent_header"].get("msg_id") != msg_id or msg["msg_type"] != "execute_reply":
                continue
            content = msg["content"]
            if content.get("status") == "ok":
                return OK, ""
            return ERROR, content.get("ename") or content.get("status") or "Error"

    def _drop_output(self) -> None:
        """Discard what the code printed or displayed: only the reply counts."""
        while True:
            try:
                self.client.get_iopub_msg(timeout=0)
            except queue.Empty:
                return
