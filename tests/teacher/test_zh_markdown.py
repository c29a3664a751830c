"""The Chinese markdown renders as the English does: no emphasis left open by Chinese punctuation.

CommonMark cannot close ``**粗体。**`` when a Chinese character follows at once (``**时间：**约``):
GitHub, nbviewer and nbconvert then show the asterisks. Both renderers the course meets are tried.
"""
from __future__ import annotations

import html
import re

import mistune
import nbformat
import pytest
from markdown_it import MarkdownIt

from course_utils.teacher import translations
from course_utils.teacher.notebook_format import solution_notebooks

from synthetic_class import ROOT

RENDERERS = {"markdown-it": MarkdownIt("commonmark").enable("table").render,
             "mistune": mistune.create_markdown(plugins=["table"])}
NOTEBOOKS = [p for p in solution_notebooks(ROOT / "solutions") if translations.translation_path(p).exists()]


def stray_asterisks(text: str, render) -> int:
    """How many ``*`` / ``**`` runs survive rendering as text (code and math left out)."""
    out = re.sub(r"<(code|pre)>.*?</\1>", "", render(text), flags=re.S)
    plain = html.unescape(re.sub(r"<[^>]+>", "", out))
    plain = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", plain, flags=re.S)
    return len(re.findall(r"\*\*|(?<![\w\\])\*(?!\s)", plain))


def test_the_check_sees_an_unclosed_bold():
    for render in RENDERERS.values():
        assert stray_asterisks("**时间：**约 30 分钟", render) == 2
        assert stray_asterisks("**时间：** 约 30 分钟", render) == 0


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_chinese_block_shows_more_asterisks_than_its_english_cell(notebook):
    cells = {c.get("id"): c for c in nbformat.read(notebook, as_version=4).cells}
    bad = [f"{cell_id} ({name})" for cell_id, block in translations.read_blocks(
               translations.translation_path(notebook)).items()
           if cell_id in cells and cells[cell_id].cell_type == "markdown"
           for name, render in RENDERERS.items()
           if stray_asterisks(block.text, render) > stray_asterisks(cells[cell_id].source, render)]
    assert not bad, f"{notebook.stem}: emphasis left open in blocks {bad}: put a space after the closing ** or *"
