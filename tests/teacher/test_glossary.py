"""Tests for course_utils.teacher.glossary: one Chinese term per concept, in both editions' key-term tables."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from course_utils.teacher import glossary
from course_utils.teacher.notebook_format import GeneratorError, solution_notebooks

ROOT = Path(__file__).resolve().parents[2]
TERMS = glossary.load(ROOT / glossary.SOURCE)
ENGLISH = """**Key terms** (English · 中文)

| English | 中文 | English | 中文 |
|---|---|---|---|
| epoch | 轮 | batch | 批量 |
| dropout | 暂退法 | | |

More text."""
CHINESE = """**术语**（中文 · English）

| 中文 | English | 中文 | English |
|---|---|---|---|
| 轮次 | epoch | 批次 | batch |

更多内容。"""


def test_the_page_is_rendered_from_the_csv():
    assert (ROOT / glossary.PAGE).read_text(encoding="utf-8") == glossary.render(TERMS), \
        "run `python -m course_utils.teacher.glossary`"


def test_the_glossary_holds_the_chinese_edition_decisions():
    decided = {"logistic regression": "逻辑斯谛回归", "sanity check": "健全性检查", "batch": "批量", "epoch": "轮",
               "dropout": "暂退法", "inverted dropout": "反向暂退法", "mini-batch": "小批量", "batch size": "批量大小",
               "(full-)batch gradient descent": "全批量梯度下降", "all-reduce": "全归约", "Shapley value": "沙普利值"}
    assert {en: TERMS[en].chinese.split("（")[0] for en in decided} == decided
    assert "逻辑回归" in TERMS["logistic regression"].avoid and "合理性检验" in TERMS["sanity check"].avoid
    assert "批次" in TERMS["batch"].avoid


@pytest.mark.parametrize("path", solution_notebooks(ROOT / "solutions"), ids=lambda p: p.stem)
def test_every_key_term_table_agrees_with_the_glossary(path):
    cells = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]
    assert any(glossary.key_terms(cell.source) for cell in cells), "each lesson has a key-term table"
    for index, cell in enumerate(cells):
        glossary.check_key_terms(cell.source, TERMS, f"{path.name}, markdown cell {index}")


def test_a_row_that_differs_from_the_glossary_is_an_error():
    assert glossary.key_terms(ENGLISH) == [("epoch", "轮"), ("batch", "批量"), ("dropout", "暂退法")]
    glossary.check_key_terms(ENGLISH, TERMS, "here")
    with pytest.raises(GeneratorError, match="'epoch' is '轮次' here but '轮'"):
        glossary.check_key_terms(ENGLISH.replace("| 轮 |", "| 轮次 |"), TERMS, "here")
    with pytest.raises(GeneratorError, match="'epochs' is not in docs/glossary.csv"):
        glossary.check_key_terms(ENGLISH.replace("| epoch |", "| epochs |"), TERMS, "here")


def test_the_chinese_table_is_made_from_the_glossary():
    solution = new_notebook(cells=[new_markdown_cell(ENGLISH)])
    translated = new_notebook(cells=[new_markdown_cell(CHINESE)])
    out = glossary.localize_key_terms(translated, solution, TERMS, "here").cells[0].source
    assert "| 轮 | epoch | 批量 | batch |\n| 暂退法 | dropout | | |\n\n更多内容。" in out
    assert "轮次" not in out and translated.cells[0].source == CHINESE
    untranslated = glossary.localize_key_terms(solution, solution, TERMS, "here")
    assert untranslated.cells[0].source == ENGLISH
    with pytest.raises(GeneratorError, match="has no key-term table"):
        glossary.localize_key_terms(new_notebook(cells=[new_markdown_cell("无表")]), solution, TERMS, "here")


def test_avoided_variants_are_found_except_in_quotations_and_attributions():
    assert glossary.misuses("我们先训练逻辑回归模型。", TERMS) == [("逻辑回归", TERMS["logistic regression"].chinese)]
    assert glossary.misuses("这一批次的数据", TERMS) == [("批次", "批量")]
    allowed = ("来源 002 写道：“逻辑回归是一种分类方法”。暂退法（dropout；邱锡鹏《神经网络与深度学习》称丢弃法）。"
               "汇聚（pooling，也称池化）。`batch_批次`")
    assert glossary.misuses(allowed, TERMS) == []


@pytest.mark.parametrize("path", solution_notebooks(ROOT / "solutions"), ids=lambda p: p.stem)
def test_the_chinese_lessons_use_the_glossary_terms(path):
    lesson = ROOT / "lessons" / "zh" / path.name
    assert lesson.exists(), "run `make lessons` once solutions/zh/ holds the translations"
    cells = nbformat.read(lesson, as_version=4).cells
    found = [(cell.get("id"), variant, term) for cell in cells for variant, term in glossary.misuses(cell.source, TERMS)]
    assert found == [], "use the glossary's term (docs/glossary.md) instead of each variant"


def test_the_chinese_messages_use_the_glossary_terms():
    """Round 18: 25 messages of the checks called a batch 批次, which the lessons never do."""
    import json

    messages = json.loads((ROOT / "course_utils" / "locale" / "zh.json").read_text(encoding="utf-8"))
    found = [(english[:60], variant, term) for english, chinese in messages.items()
             for variant, term in glossary.misuses(chinese, TERMS)]
    assert found == [], "use the glossary's term (docs/glossary.md) instead of each variant"


def test_a_page_that_lags_behind_the_csv_is_stale(tmp_path):
    (tmp_path / "docs").mkdir()
    source = (ROOT / glossary.SOURCE).read_text(encoding="utf-8")
    (tmp_path / glossary.SOURCE).write_text(source, encoding="utf-8")
    (tmp_path / glossary.PAGE).write_text(glossary.render(TERMS), encoding="utf-8")
    assert glossary.page_is_fresh(tmp_path)
    (tmp_path / glossary.SOURCE).write_text(source.replace("epoch,轮,", "epoch,轮次,"), encoding="utf-8")
    assert not glossary.page_is_fresh(tmp_path)
