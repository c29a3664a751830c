"""The course's Jupyter settings defaults: written into a prefix, merged, and in the form Jupyter reads."""
import json

from course_utils import jupyter_settings


def test_install_writes_the_file_jupyter_reads(tmp_path):
    path = jupyter_settings.install(tmp_path)
    assert path == tmp_path / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.json"
    shortcuts = json.loads(path.read_text())[jupyter_settings.SHORTCUTS_PLUGIN]["shortcuts"]
    disabled = [s for s in shortcuts if s.get("disabled")]
    assert {s["keys"][0] for s in disabled} == {"ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"}
    assert all(s["selector"] == jupyter_settings.COMMAND_MODE for s in disabled)
    kept = [s for s in shortcuts if not s.get("disabled")]
    assert [(s["command"], s["keys"]) for s in kept] == [(s["command"], s["keys"]) for s in disabled]
    assert all(s["selector"].endswith(":not([role='slider'])") for s in kept)


def test_install_keeps_other_settings_and_can_run_twice(tmp_path):
    path = tmp_path / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    jupyter_settings.install(tmp_path)
    once = path.read_text()
    jupyter_settings.install(tmp_path)
    assert path.read_text() == once
    assert json.loads(once)["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}


def test_the_disabled_bindings_are_jupyterlabs_defaults():
    """If JupyterLab changes its default selector, disabling would silently do nothing: catch that here."""
    from pathlib import Path

    import jupyterlab

    schema = Path(jupyterlab.__file__).parent / "schemas" / "@jupyterlab" / "notebook-extension" / "tracker.json"
    defaults = {(s["command"], tuple(s["keys"]), s["selector"])
                for s in json.loads(schema.read_text())["jupyter.lab.shortcuts"]}
    for key, command in jupyter_settings.ARROW_COMMANDS.items():
        assert (command, (key,), jupyter_settings.COMMAND_MODE) in defaults
