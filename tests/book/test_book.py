"""The built book in Chromium, both editions: every page opens, shows its figures, links only to pages
that exist, folds each answer away, switches to the same page in the other language, and search finds a
key term. `make test-book` builds the book, then runs this."""
from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from test_browser import CHROMIUM, browser, page  # the browser tests' Chromium

from course_utils.teacher.book import BUILD, EDITIONS, Edition, build
from course_utils.teacher.notebook_format import BEGIN, solution_notebooks

__all__ = ["browser", "page"]  # pytest fixtures, imported so that this module can use them
EDITION = EDITIONS["en"]
SITE = BUILD / "html"
LESSONS = [path.stem for path in solution_notebooks(EDITION.solutions)]
BOTH = pytest.mark.parametrize("edition", EDITIONS.values(), ids=lambda edition: edition.lang)


def url(site: str, edition: Edition, page: str) -> str:
    return site + (f"{edition.folder}/" if edition.folder else "") + page

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium)")


class Links(HTMLParser):
    """Every href and src of a page."""

    def __init__(self):
        super().__init__()
        self.targets = []

    def handle_starttag(self, tag, attrs):
        self.targets += [value for name, value in attrs if name in {"href", "src"} and value]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        pytest.fail(f"no book in {SITE}: run `make book` first (make test-book does both)")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def image_outputs(edition: Edition, stem: str) -> int:
    """How many outputs of the run notebook are pictures (figures, and explorers' static images)."""
    from jupyter_cache import get_cache

    work = BUILD / edition.lang  # the edition's pages as written for Sphinx, and the outputs of their run
    source = nbformat.read(work / "src" / f"{stem}.ipynb", as_version=4)
    _, nb = get_cache(work / "cache").merge_match_into_notebook(source)
    return sum(any(mime.startswith("image/") for mime in output.get("data", {}))
               for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs)


@BOTH
def test_the_book_has_a_page_for_every_lesson_and_the_glossary(edition):
    pages = {path.stem for path in (SITE / edition.folder).glob("*.html")}
    assert set(LESSONS) | {"index", "glossary", "search"} <= pages, sorted(pages)


def test_every_page_opens_and_every_internal_link_resolves(site, page):
    pages = sorted(path.relative_to(SITE).as_posix() for path in SITE.rglob("*.html")  # not the theme's own files
                   if not any(part.startswith("_") for part in path.relative_to(SITE).parts))
    failed, seen = [], set()
    page.on("response", lambda response: response.status >= 400 and response.url.startswith(site)
            and failed.append(f"{response.status} {response.url}"))
    for name in pages:
        assert page.goto(site + name).ok, name
        links = Links()
        links.feed((SITE / name).read_text(encoding="utf-8"))
        for target in links.targets:
            url = urljoin(site + name, target)
            if url.startswith(site) and url.split("#")[0] not in seen:
                seen.add(url.split("#")[0])
                path = SITE / urlsplit(url).path.lstrip("/")
                if not (path / "index.html" if path.is_dir() else path).exists():
                    failed.append(f"{name} links to a missing {target}")
    assert not failed, failed
    assert len(pages) >= len(LESSONS) + 3 and len(seen) > 50, (len(pages), len(seen))


# Parts without a figure: 00a (set-up and the environment check), 02a (layers as matrices, checked by numbers),
# 03a (gradients by hand, checked by numbers)
NO_FIGURES = {"00a_welcome", "02a_layers_and_mlp", "03a_backprop_by_hand"}


@BOTH
@pytest.mark.parametrize("stem", LESSONS)
def test_each_lesson_shows_all_its_figures(site, page, edition, stem):
    expected = image_outputs(edition, stem)
    assert (expected > 0) == (stem not in NO_FIGURES), (stem, expected)
    page.goto(url(site, edition, f"{stem}.html"))
    images = page.locator("article.bd-article img")
    page.wait_for_load_state("load")
    loaded = images.evaluate_all("images => images.filter(i => i.complete && i.naturalWidth > 0).length")
    assert images.count() == loaded == expected, (stem, expected, images.count(), loaded)


@BOTH
@pytest.mark.parametrize("stem", LESSONS)
def test_each_answer_is_folded_and_the_learner_notebook_is_linked(site, page, edition, stem):
    solution = nbformat.read(EDITION.solutions / f"{stem}.ipynb", as_version=4)
    answers = sum(cell.cell_type == "code" and BEGIN in cell.source for cell in solution.cells)
    page.goto(url(site, edition, f"{stem}.html"))
    folded = page.locator("details.above-input:not([open])")
    assert folded.count() == answers, (stem, answers, folded.count())
    assert folded.locator("summary", has_text=edition.words["show"]).count() == answers
    learner = page.locator(f'a.download[href$="/{stem}.ipynb"]')
    assert learner.count() == 1 and page.request.get(learner.first.evaluate("a => a.href")).ok


def test_a_widget_without_a_picture_shows_its_state_not_an_empty_box(site, page):
    page.goto(site + "00a_welcome.html")  # the slider and the label of lesson 00a's first widget
    widget = page.locator(".widget-static").first
    assert "n squared = 9" in widget.inner_text()


@BOTH
def test_the_glossary_lists_the_key_terms_with_their_lessons(site, page, edition):
    page.goto(url(site, edition, "glossary.html"))
    row = page.locator("tr", has_text="backpropagation").first
    assert "反向传播" in row.inner_text()
    assert row.locator('a[href="03a_backprop_by_hand.html"]').count() == 1


@BOTH
def test_the_landing_page_maps_every_lesson(site, page, edition):
    page.goto(url(site, edition, "index.html"))
    for stem in LESSONS:
        assert page.locator(f'article a[href="{stem}.html"]').count() >= 1, stem


@pytest.mark.parametrize("edition, term", [(EDITIONS["en"], "backpropagation"), (EDITIONS["zh"], "反向传播")],
                         ids=["en", "zh"])
def test_search_finds_a_key_term_in_its_lesson(site, page, edition, term):
    page.goto(url(site, edition, f"search.html?q={term}"))
    results = page.locator("ul.search li a")
    results.first.wait_for(timeout=30_000)
    hrefs = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(href.startswith("03a_backprop_by_hand.html") for href in hrefs), hrefs


@pytest.mark.parametrize("stem", LESSONS + ["index", "glossary"])
def test_each_page_switches_to_the_same_page_in_the_other_language(site, page, stem):
    english, chinese = EDITIONS["en"], EDITIONS["zh"]
    page.goto(url(site, english, f"{stem}.html"))
    page.locator("a.language-switch", has_text="中文").first.click()
    assert page.url == url(site, chinese, f"{stem}.html")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.locator("a.language-switch", has_text="English").first.click()
    assert page.url == url(site, english, f"{stem}.html")


def tiny_edition(tmp_path, code: str, tags=()) -> Edition:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Lesson 01 · One cell"),
                                         nbformat.v4.new_code_cell(code, metadata={"tags": list(tags)})])
    for folder in ("solutions", "lessons"):
        (tmp_path / folder).mkdir()
        nbformat.write(nb, tmp_path / folder / "01_one.ipynb")
    return Edition("en", tmp_path / "solutions", tmp_path / "lessons", "", "Tiny", EDITION.words)


def test_a_cell_error_fails_the_build(tmp_path):
    with pytest.raises(subprocess.CalledProcessError):
        build(tiny_edition(tmp_path, "1 / 0"), tmp_path / "build")


def test_a_cell_tagged_raises_exception_shows_its_error(tmp_path):
    html = build(tiny_edition(tmp_path, "1 / 0", tags=["raises-exception"]), tmp_path / "build")
    assert "ZeroDivisionError" in (html / "01_one.html").read_text(encoding="utf-8")


def test_formulas_are_typeset_without_the_network(site, page):
    page.goto(site + "01a_neurons_and_activations.html")  # the site is served locally and Chromium has no way out here
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.running === 0"
                           " && MathJax.Hub.getAllJax().length > 0", timeout=60_000)
    assert "\\sigma" not in page.locator("article").inner_text()
