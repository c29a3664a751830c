"""Sphinx configuration of the course book; `make book` (course_utils/teacher/book.py) passes each
edition's language, title and cache folder on the command line."""
from importlib.metadata import entry_points

project = "Hands-on deep learning"
language = "en"
extensions = ["myst_nb"]
exclude_patterns = ["learner/**", "**.ipynb_checkpoints"]  # learners' notebooks are downloads, not pages
myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath"]

# Run every notebook once, keep its outputs in a jupyter-cache, and stop the build on a cell error
# (a cell tagged raises-exception may show its error).
nb_execution_mode = "cache"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# A widget's picture, not an empty box: the book loads no widget scripts (they come from the web), so
# a widget shows the image it offers (the course's explorers), else its saved state as plain HTML.
nb_ipywidgets_js = {}
nb_render_plugin = "course"  # course_utils/teacher/book_render.py, registered in pyproject.toml
if not entry_points(group="myst_nb.renderers", name=nb_render_plugin):
    raise RuntimeError("the course package is installed without its book renderer: run `make install` "
                       "(or `pip install -e .`) again, then `make book`")
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", 60)]  # after image/png

# MathJax 2 from the package index (jupyter-server-mathjax), copied into the site by the build: formulas
# render without the network.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {"tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                               "processEscapes": True, "processClass": "math|output_area",
                               "ignoreClass": "document"},
                   "HTML-CSS": {"availableFonts": ["STIX-Web"], "preferredFont": "STIX-Web",
                                "webFont": "STIX-Web", "imageFont": None},  # the fonts it ships
                   "showMathMenu": False, "messageStyle": "none"}

html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {"show_toc_level": 2, "home_page_in_toc": True, "use_download_button": True}
html_show_sourcelink = False


def chinese_search(app):
    """Sphinx 9.0 (the last for Python 3.11) names the Chinese search's stemmer ``ChineseStemmer`` but ships
    ``EnglishStemmer``, so Chinese search stops with a ReferenceError (sphinx-doc/sphinx#14229, fixed in
    9.1): define the name it looks for, before its language_data.js runs."""
    if app.config.language.startswith("zh"):
        app.add_js_file(None, body="var ChineseStemmer = function () { return new EnglishStemmer(); };")


def setup(app):
    app.connect("builder-inited", chinese_search)
