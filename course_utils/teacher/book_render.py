"""myst-nb's renderer for the course book: a widget shows its saved state as plain HTML.

The book loads no widget scripts (they would come from the web), so without this a widget without a
picture of its own would be an empty box. Registered as the ``course`` renderer (pyproject.toml) and
chosen in ``docs/book/conf.py``.
"""
import json

from docutils import nodes
from myst_nb.core.render import WIDGET_STATE_MIMETYPE, MimeData, NbElementRenderer

from .book import static_widget


class StaticWidgetRenderer(NbElementRenderer):
    def render_widget_view(self, data: MimeData) -> list[nodes.Element]:
        widgets = self.renderer.nb_client.notebook.metadata.get("widgets", {})
        models = widgets.get(WIDGET_STATE_MIMETYPE, {}).get("state", {})
        view = json.loads(data.content) if isinstance(data.content, str) else data.content
        return [nodes.raw(text=static_widget(view["model_id"], models), format="html")]
