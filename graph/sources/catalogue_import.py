"""Importing a catalogue CSV file (parsed by :mod:`credgraph.graph.sources.catalogue_csv`) into its source graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.chunk_checks import validate_many, violations
from credgraph.graph.sources.document_steps import Compliance
from credgraph.graph.store.interface import Provenance, content_hash
from credgraph.graph.workspace import Workspace

_PUBLISHER = ox.NamedNode(ns.DC + "publisher")


@dataclass
class CatalogueResult:
    """``credgraph import catalogue`` for one file."""

    name: str
    status: str  # imported | replaced | unchanged | rejected
    source_id: str | None = None
    problems: list[str] = field(default_factory=list)
    triples: int = 0
    specifications: int = 0
    compliance: Compliance | None = None
    forbidden: bool = False  # refused because it names another provider (the API answers 403)


def ingest_catalogue(ws: Workspace, path: str | Path, require: frozenset[str] = frozenset(),
                     providers: frozenset[str] | None = None) -> CatalogueResult:
    """Import one catalogue CSV file (parsed by :mod:`credgraph.graph.sources.catalogue_csv`) into its source graph.

    All or nothing: a file with any bad cell, or failing the
    ``storable-specification`` profile, is rejected whole and the store is
    unchanged. Annex I (``annex-i-catalogue``) is reported, and rejects only
    with ``require={"annex-i"}``.
    """
    from credgraph.graph.sources import catalogue_csv

    path = Path(path)
    name = str(path)
    limit = ws.settings.max_document_bytes
    try:
        size = path.stat().st_size
    except OSError as exc:
        return CatalogueResult(name, "rejected", problems=[f"{name}: cannot read ({exc.strerror})"])
    if size > limit:
        return CatalogueResult(name, "rejected", problems=[f"{name}: {size:,} bytes is over the document size limit of {limit:,} bytes"])
    data = path.read_bytes()
    resolver = catalogue_csv.skill_label_resolver(ws.store)
    try:
        parsed = catalogue_csv.parse_catalogue_csv(data, name, resolver)
    except ValueError as exc:
        return CatalogueResult(name, "rejected", problems=[f"{name}: {exc}"])
    result = CatalogueResult(name, "pending", source_id=parsed.source_id, problems=list(parsed.errors))
    if parsed.errors:
        result.status = "rejected"
        return result
    if _foreign_providers(ws, parsed, result, providers):
        result.status = "rejected"
        return result
    storable = validate_many([parsed.triples], "storable-specification")[0]
    if not storable.conforms:
        result.problems += [f"{name}: not storable: {v}" for v in violations(storable)] or [f"{name}: not storable"]
        result.status = "rejected"
        return result
    annex = validate_many([parsed.triples], "annex-i-catalogue")[0]
    result.compliance = Compliance("annex-i-catalogue", bool(annex.conforms), list(annex.elements_present()), list(annex.elements_missing()))
    if "annex-i" in require and not annex.conforms:
        result.problems.append(f"{name}: not Annex I compliant: missing {', '.join(result.compliance.missing) or 'elements'}")
        result.status = "rejected"
        return result
    graph = ns.source_graph(parsed.source_id)
    digest = content_hash(data)
    current = ws.store.graph_hash(graph)
    result.triples = len(set(parsed.triples))
    result.specifications = len(getattr(parsed, "specifications", []) or [])
    if current == digest:
        result.status = "unchanged"
        return result
    ws.store.load_graph(graph, parsed.triples, Provenance(kind="source", source=path.name, content_hash=digest, title=path.name))
    result.status = "replaced" if current else "imported"
    return result


def _foreign_providers(ws: Workspace, parsed, result: "CatalogueResult", providers: frozenset[str] | None) -> bool:
    """True (with problems) if the file publishes for a provider the writer may not, or one another file describes.

    Specification ids are scoped per provider (``spec/<provider>/<id>``); one
    provider's entries come from one catalogue file, so that a second file
    cannot merge its rows into another provider's specifications.
    """
    orgs = sorted({t.object.value for t in parsed.triples if t.predicate == _PUBLISHER and isinstance(t.object, ox.NamedNode)})
    if providers is not None:
        foreign = [o for o in orgs if o not in providers]
        if foreign:
            result.forbidden = True
            result.problems.append(f"{result.name}: rows of provider {foreign[0]} (not a provider this key may write for)")
            return True
    if not orgs:
        return False
    own = ns.source_graph(parsed.source_id)
    rows = ws.store.select(queries.load("catalogue-provider-owners"), values=[{"org": ox.NamedNode(o)} for o in orgs]).rows
    for row in rows:
        if row["graph"].value != own:
            source = row["file"].value if row.get("file") else row["graph"].value
            result.problems.append(f"{result.name}: provider {row['org'].value} is described by another catalogue file "
                                   f"({source}); replace that file (same file name) instead")
    return bool(result.problems)
