"""Jupyter settings the course ships: a focused widget slider keeps its arrow keys.

Notebook 7 binds the arrow keys in command mode to "move between cells" and "collapse or
expand headings" and, unlike JupyterLab, applies them while a widget slider has focus: the
slider never moves. These defaults keep the four bindings for cells but not for an element
with ``role="slider"``. ``python -m course_utils.jupyter_settings`` writes them into this
environment's ``etc/jupyter/labconfig/default_setting_overrides.json``, which JupyterLab and
Notebook 7 read when they start; a learner's own shortcut settings still win.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

SHORTCUTS_PLUGIN = "@jupyterlab/shortcuts-extension:shortcuts"
COMMAND_MODE = ".jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus"  # JupyterLab 4.1+ default
ARROW_COMMANDS = {
    "ArrowLeft": "notebook:move-cursor-heading-above-or-collapse",
    "ArrowRight": "notebook:move-cursor-heading-below-or-expand",
    "ArrowUp": "notebook:move-cursor-up",
    "ArrowDown": "notebook:move-cursor-down",
}


def slider_friendly_shortcuts() -> list[dict]:
    """The default arrow-key bindings disabled, and the same bindings again for anything but a slider."""
    def binding(key, command, selector, **extra):
        return {"command": command, "keys": [key], "selector": selector, **extra}

    return ([binding(k, c, COMMAND_MODE, disabled=True) for k, c in ARROW_COMMANDS.items()]
            + [binding(k, c, COMMAND_MODE + ":not([role='slider'])") for k, c in ARROW_COMMANDS.items()])


def install(prefix: str | Path = sys.prefix) -> Path:
    """Merge the course's defaults into ``<prefix>/etc/jupyter/labconfig/default_setting_overrides.json``."""
    path = Path(prefix) / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.json"
    overrides = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    overrides.setdefault(SHORTCUTS_PLUGIN, {})["shortcuts"] = slider_friendly_shortcuts()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(overrides, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"Jupyter settings written to {install()}")
