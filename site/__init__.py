"""credgraph.site: the static catalogue generator (Jinja2 templates and assets).

``build`` runs the steps: ``snapshot`` (the store read once), ``related`` (stacking
rules, recorded matches, similarity), ``planning`` (which pages exist), ``pages`` (what
each page shows), ``rendering`` with ``page``, ``fragments`` and ``skeleton`` (a page to
HTML), ``parallel`` (forked workers), ``search_index``, ``linkeddata``, ``diagram``,
``dump``, ``sitemap``, and ``fingerprints`` with ``output`` (only changed files written).
"""
