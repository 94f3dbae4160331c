"""The providers (organisation IRIs) of test documents, for issuer keys scoped to them (api/keys.py)."""

from __future__ import annotations

import json
from pathlib import Path

from credgraph.graph.sources import badges
from credgraph.demo.catalogue import PROVIDERS
from credgraph.graph.sources import edc
from credgraph.graph.sources import jsonld
from credgraph.graph.sources import seal


def of_documents(paths) -> list[str]:
    """The public IRI of each credential's awarding body, as the ingest mints it."""
    out = []
    for path in paths:
        document = jsonld.decode_json(Path(path).read_bytes(), str(path))
        if seal.is_sealed(document):
            document = jsonld.decode_json(seal.open_seal(document, str(path)).payload, str(path))
        rdf = jsonld.to_triples(document, str(path))
        if badges.types_of(document) & {"OpenBadgeCredential", "AchievementCredential"}:
            split = badges.split_badge(document, rdf, str(path), b"k" * 32)
        else:
            split = edc.split_edc(rdf, str(path), b"k" * 32)
        if split.awarding_body is not None:
            out.append(split.awarding_body.value)
    return sorted(set(out))


def of_demo() -> list[str]:
    """Every demo provider's organisation IRI."""
    from credgraph.graph.sources.catalogue_csv import org_iri

    return [org_iri(p.slug) for p in PROVIDERS]


def of_catalogue(data: bytes) -> list[str]:
    """The providers of a catalogue file's rows (its ``provider_id`` column, or the slug of ``provider_name``)."""
    import csv
    import io

    from credgraph.graph.sources.catalogue_csv import org_iri, slugify

    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    return sorted({org_iri(slugify(row.get("provider_id") or row["provider_name"])) for row in rows})
