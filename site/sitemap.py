"""What crawlers read: ``sitemap.xml`` (every page's absolute URL) and ``robots.txt``."""

from __future__ import annotations

from markupsafe import escape


def sitemap_xml(files: dict[str, str], base_url: str) -> str:
    """The sitemap of a site whose files are ``files`` (paths relative to its root), published at ``base_url``."""
    pages = sorted(rel[:-len("index.html")] for rel in files if rel.endswith("index.html"))
    urls = "".join(f"<url><loc>{escape(base_url + p)}</loc></url>\n" for p in pages)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n")


def robots_txt(base_url: str) -> str:
    """Every page allowed, and where the sitemap is."""
    return f"User-agent: *\nAllow: /\nSitemap: {base_url}sitemap.xml\n"
