"""Lesson 00's environment check: each finding says what was found and, for a problem, how to fix it.

The ``*_finding`` functions are pure: they take plain facts (versions, device names, file states,
seconds) and return ``Finding``s, so tests can fake any machine. ``run_checks`` gathers the real
facts of this machine and calls them.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import data
from .doctor import PACKAGES, in_notebook, package_version
from .i18n import t

OK, NOTE, PROBLEM = "ok", "note", "problem"
SYMBOL = {OK: "✅", NOTE: "ℹ️", PROBLEM: "❌"}
REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
COMPILED = (".so", ".pyd", ".dll", ".dylib")  # compiled libraries on Linux, Windows, macOS
INSTALL = "from the course folder run `pip install -r requirements.txt`, then restart the kernel"

# Seconds of one probe round on the reference machine (2 CPU cores, 1 BLAS thread, the course's
# venv), measured with `python -m course_utils.envcheck --reference` at load averages 0.7 to 1.5 (the
# probe itself included, so at most one core busy besides it): the median round took 0.0125 to 0.0127 s
# of wall time and 0.0125 to 0.0134 s of CPU time in 6 runs of 340 to 400 rounds each; we took 0.013 s.
REFERENCE_ROUND_S = 0.013
LESSON_BUDGET_S = 60.0  # each lesson runs in at most this long on the reference machine


@dataclass(frozen=True)
class Finding:
    """One line of the check: its ``topic``, a ``status`` (ok, note, problem), what was found, the fix."""

    topic: str
    status: str
    found: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{SYMBOL[self.status]} {t(self.topic)}: {self.found}"
        return text + t("\n      What to do: {fix}", fix=self.fix) if self.fix else text


# ---------------------------------------------------------------- pure findings

def python_finding(version: tuple[int, int, int]) -> Finding:
    """Python 3.10 or newer is needed."""
    text = ".".join(map(str, version))
    if tuple(version[:2]) < (3, 10):
        return Finding("Python", PROBLEM, t("Python {version} is too old; the course needs 3.10 or newer", version=text),
                       t("install Python 3.11 (the tested version) and create the environment again"))
    return Finding("Python", OK, f"Python {text}")


def package_findings(installed: dict[str, str | None], wanted: dict[str, str]) -> list[Finding]:
    """One finding per package: missing, outside the range ``wanted`` names (e.g. '>=1.26,<3'), or fine."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    findings = []
    for name, version in installed.items():
        if version is None:
            findings.append(Finding(name, PROBLEM, t("not installed"), t(INSTALL)))
            continue
        spec = wanted.get(name, "")
        try:
            inside = not spec or Version(version) in SpecifierSet(spec)
        except (InvalidSpecifier, InvalidVersion):
            inside = True  # a version we cannot compare is reported, never judged
        if inside:
            findings.append(Finding(name, OK, f"{version}" + (t(" (the course is tested with {spec})", spec=spec)
                                                               if spec else "")))
        else:
            findings.append(Finding(name, PROBLEM, t("{version}, but the course is tested with {spec}",
                                                     version=version, spec=spec), t(INSTALL)))
    return findings


def device_finding(available: list[str] | None, requested: str | None, nvidia_driver: bool) -> Finding:
    """Which device torch uses; ``available`` is None when torch is missing."""
    if available is None:
        return Finding("device", PROBLEM, t("PyTorch is not installed, so lessons 02b-08b cannot use it"), t(INSTALL))
    if requested and requested.lower().split(":")[0] not in available:
        return Finding("device", PROBLEM, t("COURSE_DEVICE={requested} but this machine has only {available}",
                                            requested=requested, available=", ".join(available)),
                       t("unset COURSE_DEVICE (or set it to cpu), then restart the kernel"))
    chosen = requested.lower() if requested else available[0]
    if chosen.startswith("cpu") and nvidia_driver and "cuda" not in available:
        return Finding("device", NOTE, t("torch uses the CPU, although an NVIDIA driver is installed: this torch "
                                         "is a CPU build"),
                       t("nothing, for this course; to use the GPU see README.md, section GPU"))
    where = t("a GPU") if not chosen.startswith("cpu") else t("the CPU; every lesson is sized to run on a CPU")
    return Finding("device", OK, t("torch uses {device} ({where})", device=chosen, where=where))


def data_findings(offline: bool, files: dict[str, str]) -> list[Finding]:
    """The network mode, then one finding per real data set: 'present', 'missing' or 'damaged'."""
    mode = t("offline (COURSE_OFFLINE=1): no download is ever tried" if offline
             else "online allowed: a missing data set is downloaded if the network answers within seconds")
    findings = [Finding("data mode", OK, mode)]
    for name, state in files.items():
        title = data.DATASETS[name].title
        where = data.keras_datasets_dir() / data.DATASETS[name].subdir
        if state == "present":
            findings.append(Finding(title, OK, t("the real {title} files are in {where}", title=title,
                                                 where=data.display_path(where))))
        elif state == "damaged":
            findings.append(Finding(title, PROBLEM, t("a {title} file in {where} is damaged (wrong checksum)",
                                                      title=title, where=data.display_path(where)),
                                    t("delete the file named in the data line of a lesson, "
                                      "or replace it with a good copy")))
        else:
            findings.append(Finding(title, NOTE, t("not found, so lessons use scikit-learn's bundled digits instead"),
                                    t("nothing; to use real {title}, copy its files into {where}/", title=title,
                                      where=data.display_path(where))))
    return findings


def widgets_finding(ipywidgets: str | None, lab_extension: str | None, in_kernel: bool) -> Finding:
    """What can be known about widgets from inside the kernel (not whether the page drew them)."""
    if ipywidgets is None:
        return Finding("widgets", PROBLEM, t("ipywidgets is not installed"), t(INSTALL))
    if lab_extension is None:
        return Finding("widgets", NOTE, t("ipywidgets {version}, but the JupyterLab extension is missing",
                                          version=ipywidgets),
                       t("in JupyterLab: `pip install jupyterlab_widgets` and reload the page; "
                         "Colab and VS Code bring their own"))
    where = t("inside a Jupyter kernel; whether the page draws them, the slider below shows" if in_kernel
              else "outside Jupyter, so figures appear as static images")
    return Finding("widgets", OK, t("ipywidgets {version} and jupyterlab_widgets {extension}, {where}",
                                    version=ipywidgets, extension=lab_extension, where=where))


def speed_finding(round_s: float, reference_s: float = REFERENCE_ROUND_S) -> Finding:
    """Compare one probe round with the reference machine and say what it means for the lessons."""
    if not (np.isfinite(round_s) and round_s > 0):
        raise ValueError(f"a probe round must take a positive time, got {round_s!r}")
    factor = reference_s / round_s
    expect = LESSON_BUDGET_S / factor
    found = t("{factor:.2f} x the speed of the reference machine: a lesson that computes for "
              "{budget:.0f} s there takes about {expect:.0f} s here", factor=factor, budget=LESSON_BUDGET_S,
              expect=expect)
    if factor >= 0.75:
        return Finding("speed", OK, found)
    fix = t("close other notebooks and programs (each notebook runs its own kernel), check that "
            "OMP_NUM_THREADS is not larger than your number of cores, or run on Colab")
    return Finding("speed", NOTE if factor >= 0.4 else PROBLEM, found, fix)


# ---------------------------------------------------------------- the speed probe

def probe_round(steps: int = 100, clock=time.perf_counter) -> float:
    """One fixed piece of work like the lessons' (a small numpy MLP learning); returns its seconds.

    ``clock`` measures wall time by default; ``time.process_time`` counts only this process's CPU time.
    """
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 32)), rng.normal(size=(256, 1))
    w1, w2 = 0.1 * rng.normal(size=(32, 64)), 0.1 * rng.normal(size=(64, 1))
    start = clock()
    for _ in range(steps):
        hidden = np.maximum(0.0, x @ w1)
        error = hidden @ w2 - y
        grad_w2 = hidden.T @ error / len(x)
        grad_w1 = x.T @ ((error @ w2.T) * (hidden > 0)) / len(x)
        w1, w2 = w1 - 0.01 * grad_w1, w2 - 0.01 * grad_w2
    return clock() - start


def speed_probe(budget_s: float = 5.0, clock=time.perf_counter) -> tuple[float, int]:
    """Repeat ``probe_round`` for about ``budget_s`` seconds; return (median seconds per round, rounds)."""
    if not budget_s > 0:
        raise ValueError(f"budget_s must be positive, got {budget_s!r}")
    probe_round(2)  # warm-up: first calls pay for imports and caches
    times, start = [], time.perf_counter()
    while not times or time.perf_counter() - start + times[-1] < budget_s:
        times.append(probe_round(clock=clock))
    return float(np.median(times)), len(times)


# ---------------------------------------------------------------- gathering the facts

def wanted_versions(path: Path = REQUIREMENTS) -> dict[str, str]:
    """Package -> version range, read from requirements.txt ({} when the file is not there)."""
    from packaging.requirements import InvalidRequirement, Requirement

    if not path.is_file():
        return {}
    ranges = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        lower_bounds_first = sorted(requirement.specifier, key=lambda spec: not spec.operator.startswith(">"))
        ranges[requirement.name.lower()] = ",".join(map(str, lower_bounds_first))
    return ranges


def installed_version(package: str) -> str | None:
    """The installed version of ``package``, or None when it is missing."""
    version = package_version(package)
    return None if version == "missing" else version


def code_bytes(package: str) -> tuple[int, int]:
    """(bytes of compiled libraries, bytes of Python source) that ``package`` installed, read without importing it."""
    from importlib import metadata

    compiled = python = 0
    for file in metadata.files(package) or ():
        suffix = file.suffix.lower()
        if suffix not in COMPILED and suffix != ".py":
            continue
        try:
            size = file.locate().stat().st_size
        except OSError:
            continue
        if suffix == ".py":
            python += size
        else:
            compiled += size
    return compiled, python


def dataset_files() -> dict[str, str]:
    """'present', 'missing' or 'damaged' for each real data set in the Keras cache."""
    return data.cache_states()


def torch_devices() -> list[str] | None:
    """The devices torch can use here (imports torch, about 2 s), or None if torch is missing."""
    if package_version("torch") == "missing":
        return None
    from .device import available_devices

    return available_devices()


def run_checks(probe_budget_s: float = 5.0) -> list[Finding]:
    """Every finding for this machine, in the order the lesson explains them."""
    findings = [python_finding(tuple(sys.version_info[:3]))]
    findings += package_findings({name: installed_version(name) for name in PACKAGES}, wanted_versions())
    findings.append(device_finding(torch_devices(), os.environ.get("COURSE_DEVICE") or None,
                                   nvidia_driver=shutil.which("nvidia-smi") is not None))
    findings += data_findings(data.offline_mode(), dataset_files())
    findings.append(widgets_finding(installed_version("ipywidgets"), installed_version("jupyterlab_widgets"), in_notebook()))
    findings.append(speed_finding(speed_probe(probe_budget_s)[0]))
    return findings


def summary(findings: list[Finding]) -> str:
    """All findings, one per line, with a closing count of problems."""
    problems = sum(finding.status == PROBLEM for finding in findings)
    verdict = (t("No problems: you are ready for lesson 01.") if problems == 0 else
               t("{count} problem(s): fix them (see 'What to do'), restart the kernel and run the check again.",
                 count=problems))
    return "\n".join([*map(str, findings), "", verdict])


if __name__ == "__main__":  # python -m course_utils.envcheck [--reference]
    if "--reference" not in sys.argv[1:]:
        print(summary(run_checks()))
        sys.exit(0)
    for _ in range(3):  # measure REFERENCE_ROUND_S on the reference machine
        wall, rounds = speed_probe()
        cpu, _ = speed_probe(clock=time.process_time)
        print(f"median round: {wall:.4f} s wall time, {cpu:.4f} s CPU time ({rounds} rounds); "
              f"load average {os.getloadavg()[0]:.2f}")
