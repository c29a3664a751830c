"""A separate environment for nbgrader, layered over the course's own (``make nbgrader-env``).

    python tests/teacher/nbgrader_env.py [DIR]     # default: .venv-nbgrader next to .venv

nbgrader and the few packages it adds live in DIR; everything else (JupyterLab, numpy, course_utils)
comes from the environment that runs this script, through a .pth file. So the learners' JupyterLab
never shows nbgrader's menus, and the round-trip test needs no second copy of the big packages.
"""
from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements-teacher.txt"
DEFAULT = ROOT / ".venv-nbgrader"


def _purelib(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()


def ensure(venv: Path = DEFAULT) -> Path:
    """Create or update ``venv`` when needed; return its bin folder (put it first on PATH)."""
    base = sysconfig.get_paths()["purelib"]
    wanted = f"{base}\n{REQUIREMENTS.read_text(encoding='utf-8')}"
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return venv / "bin"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(venv)], check=True)
    python = venv / "bin" / "python"
    Path(_purelib(python), "_course_base.pth").write_text(f"import site; site.addsitedir({base!r})\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return venv / "bin"


if __name__ == "__main__":
    print(f"nbgrader is in {ensure(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DEFAULT)}")
