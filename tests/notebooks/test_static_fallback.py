"""Without a widget front end (GitHub, nbviewer, plain nbconvert) a widget still shows its figure."""
import re
from pathlib import Path

import nbclient
import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[2]


def test_neuron_explorer_appears_as_an_image_in_static_html(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT", "0")  # the untouched lesson, as a learner would have it
    lesson = ROOT / "lessons" / "01b_boundaries_and_xor.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(lesson.parent)}}).execute()
    nb.metadata.pop("widgets", None)  # as saved by JupyterLab by default: no widget state
    html, _ = HTMLExporter().from_notebook_node(nb)
    cells = re.split(r'<div class="jp-Cell ', html)
    explorer = [c for c in cells if "NeuronExplorer</span><span class=\"p\">(</span>" in c]
    assert explorer, "the explorer cell is missing from the HTML"
    assert re.search(r'<img[^>]+src="data:image/png;base64,', explorer[0]), \
        "the neuron explorer shows no static image without a widget front end"
