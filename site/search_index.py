"""The offline search index: per language, every specification with its facet values, in compact JSON.

``static/search.js`` loads ``search-index.<lang>.json`` and searches, filters
and counts in the browser; the site needs no server to be searched.
"""

from __future__ import annotations

import json

from credgraph.graph.services.catalogue_naming import ECTS_RANGES, FACETS, key_of, normalise, page_path, pick
from credgraph.graph.services.catalogue_records import Catalogue
from credgraph.graph.services.catalogue_results import Text
from credgraph.site.page import LANGS


def search_index(cat: Catalogue, lang: str) -> str:
    """The compact offline search index of one language (see :func:`search_indexes`)."""
    return search_indexes(cat, (lang,))[lang]


def search_indexes(cat: Catalogue, langs: tuple[str, ...] = LANGS) -> dict[str, str]:
    """The compact offline search index of each language in ``langs``.

    ``facets``: per facet, a table of ``[key, label, label language if fallback]``;
    ``docs``: per specification ``[path, title, title language if fallback,
    ECTS, [[value indexes] per facet in FACETS order], normalised text]``.
    The text holds title, description and outcomes; the browser adds the
    labels of the provider, field and skills from the facet tables. What does
    not depend on the language (facet keys, paths) is worked out once for all.
    """
    specs = list(cat.specs.values())
    shared = [(page_path("spec", spec.iri), cat.facet_values(spec)) for spec in specs]
    indexes = {}
    for lang in langs:
        tables: dict[str, dict[str, int]] = {f: {} for f in FACETS}
        rows: dict[str, list] = {f: [] for f in FACETS}
        for key, _, _ in ECTS_RANGES:
            tables["ects"][key] = len(rows["ects"])
            rows["ects"].append([key, key.replace("-", "–") + " ECTS", ""])
        titles = [pick(s.titles, lang) if s.titles else None for s in specs]
        # Equal titles in IRI order: the catalogue's own order may differ from one read to the next.
        order = sorted(range(len(specs)), key=lambda i: (normalise(titles[i].text) if titles[i] else specs[i].iri, specs[i].iri))
        docs = []
        for i in order:
            spec = specs[i]
            path, values = shared[i]
            idx = []
            for facet in FACETS:
                column = []
                table = tables[facet]
                for key in values[facet]:
                    if key not in table:
                        iri = cat.facet_iri(facet, key)
                        label = cat.label(iri, lang) if iri else Text(key, "", True)
                        table[key] = len(rows[facet])
                        rows[facet].append([key, label.text, label.lang if label.fallback else ""])
                    column.append(table[key])
                idx.append(column)
            title = titles[i] or Text(key_of(spec.iri), "", True)
            words = [title.text]
            if spec.descriptions:
                words.append(pick(spec.descriptions, lang).text)
            words.extend(pick(o.titles, lang).text for o in spec.outcomes if o.titles)
            docs.append([path, title.text, title.lang if title.fallback else "", spec.ects, idx, normalise(" ".join(words))])
        indexes[lang] = json.dumps({"v": 1, "lang": lang, "facetNames": list(FACETS), "facets": rows, "docs": docs},
                                   ensure_ascii=False, separators=(",", ":"))
    return indexes
