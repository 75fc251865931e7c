"""PDF reports: plain data and Jinja2 templates in, HTML and PDF out (no Flask, no database).

See :mod:`scoring.reports.render` for the data a report takes.
"""

from scoring.reports.render import (
    KINDS,
    AssetFetcher,
    html_to_pdf,
    input_hash,
    render_html,
    render_pdf,
    suppress_small_cells,
)

__all__ = [
    "KINDS",
    "AssetFetcher",
    "html_to_pdf",
    "input_hash",
    "render_html",
    "render_pdf",
    "suppress_small_cells",
]
