"""credgraph.site: the static catalogue generator (Jinja2 templates and assets)."""
