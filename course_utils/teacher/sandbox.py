"""Each submission's kernel fenced in, as far as the operating system allows.

Everywhere: its own temporary home and working folder (``home_env``). On Linux and macOS: a
memory limit and a CPU-time limit (``setrlimit``, in the kernel process before it starts). On
Linux with the rights for it (root, or unprivileged user namespaces): no network (a new network
namespace; the grader then talks to the kernel through files, not TCP) and the teacher's folders
hidden (a new mount namespace with an empty tmpfs over each: the solutions, the class's
submissions, the grading output). ``Sandbox.describe()`` says which of these held.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18


def home_env(home: Path) -> dict[str, str]:
    """Environment variables that put every per-user folder the kernel may write under ``home``."""
    folders = {"HOME": home, "XDG_CONFIG_HOME": home / ".config", "XDG_CACHE_HOME": home / ".cache",
               "XDG_DATA_HOME": home / ".local" / "share", "IPYTHONDIR": home / ".ipython",
               "MPLCONFIGDIR": home / ".config" / "matplotlib", "KERAS_HOME": home / ".keras",
               "TORCH_HOME": home / ".cache" / "torch", "TMPDIR": home / "tmp"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    for fonts in _matplotlib_font_caches():  # a fresh home would rebuild it: 0.2 s per notebook
        shutil.copy(fonts, folders["MPLCONFIGDIR"] / fonts.name)
    return {name: str(folder) for name, folder in folders.items()}


@lru_cache(maxsize=1)
def _matplotlib_font_caches() -> tuple[Path, ...]:
    try:
        import matplotlib
    except ImportError:
        return ()
    return tuple(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _enter_namespaces(hidden: tuple[str, ...]) -> None:
    """In the child before exec: a new network and mount namespace, tmpfs over each hidden folder."""
    libc = _libc()
    flags = CLONE_NEWNS | CLONE_NEWNET
    if libc.unshare(flags) != 0 and (os.geteuid() == 0 or libc.unshare(flags | CLONE_NEWUSER) != 0):
        raise OSError(ctypes.get_errno(), "unshare failed")
    if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "making the mounts private failed")
    for folder in hidden:
        if os.path.isdir(folder) and libc.mount(b"tmpfs", folder.encode(), b"tmpfs", 0, b"size=64k,mode=0555") != 0:
            raise OSError(ctypes.get_errno(), f"hiding {folder} failed")


@lru_cache(maxsize=1)
def namespaces_work() -> bool:
    """True when this machine lets a child process enter new network and mount namespaces."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        result = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=lambda: _enter_namespaces(()),
                                capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


@dataclass(frozen=True)
class Sandbox:
    """Limits for one kernel: memory in MB (0: none), CPU seconds (0: none), folders to hide."""

    memory_mb: int = 4096
    cpu_seconds: int = 1200
    hidden: tuple[str, ...] = ()

    @property
    def isolates(self) -> bool:
        """True when the kernel gets no network and cannot see the hidden folders."""
        return namespaces_work()

    def preexec(self):
        """The function that fences the kernel in, run in the child process before it starts."""
        if os.name != "posix":
            return None
        hidden = tuple(str(Path(h).resolve()) for h in self.hidden)
        isolate = self.isolates

        def fence() -> None:
            import resource

            if self.memory_mb:
                size = self.memory_mb * 2**20
                limit = getattr(resource, "RLIMIT_DATA" if sys.platform.startswith("linux") else "RLIMIT_AS")
                resource.setrlimit(limit, (size, size))
            if self.cpu_seconds:
                resource.setrlimit(resource.RLIMIT_CPU, (self.cpu_seconds, self.cpu_seconds + 5))
            if isolate:
                _enter_namespaces(hidden)

        return fence

    def describe(self) -> str:
        """One line for the grader's report: what holds on this machine."""
        parts = ["own home and folder"]
        if os.name == "posix":
            parts.append(f"memory {f'{self.memory_mb} MB' if self.memory_mb else 'unlimited'}, "
                         f"CPU {f'{self.cpu_seconds} s' if self.cpu_seconds else 'unlimited'}")
        parts.append("no network, teacher's folders hidden" if self.isolates else
                     "network and files NOT isolated (needs Linux with root or user namespaces)")
        return "; ".join(parts)
