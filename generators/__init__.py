"""One module per output kind, each with ``pages(ctx)`` (Markdown for MkDocs) and/or
``files(ctx)`` (files written straight into site/ or print/). Adding an output kind
is adding a module and one line here; they run in this order."""

from . import catalog

GENERATORS = [
    catalog,
]
