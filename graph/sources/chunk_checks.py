"""The checks over a chunk of prepared documents, one store query or validator call each.

Known concepts of the loaded controlled vocabularies, who owns a credential
already stored (when the writer may write for some providers only), the
``storable-credential`` SHACL profile (a reason to reject) and Annex I
(``annex-i-credential``: recorded; a reason to reject only with
``require={"annex-i"}``). Problems are scrubbed of the document's personal
values before anyone sees them.
"""

from __future__ import annotations

import time

import pyoxigraph as ox

from credgraph import queries
from credgraph.graph import namespaces as ns
from credgraph.graph.sources import annex_i, privacy
from credgraph.graph.sources.document_steps import Compliance, IngestOptions, PreparedDocument, StageTimer
from credgraph.graph.store.interface import Store

STORABLE_PROFILE = "storable-credential"
ANNEX_I_PROFILE = "annex-i-credential"


def check_chunk(store: Store, batch: list[PreparedDocument], options: IngestOptions, timer: StageTimer) -> None:
    """Concepts, storable profile and Annex I for the documents of one chunk (one query / one validator call each)."""
    started = time.perf_counter()
    live = [p for p in batch if p.result.status == "pending"]
    pairs = {c: s for p in live for c, s in p.concepts}
    unknown: set = set()
    if pairs:
        rows = [{"concept": c, "scheme": s} for c, s in pairs.items()]
        for row in store.select(queries.load("ingest-unknown-concepts"), values=rows):
            unknown.add(row["concept"])
    for p in live:
        bad = sorted({c.value for c, _ in p.concepts if c in unknown})
        if bad:
            p.result.problems += [f"{p.result.name}: unknown concept {c} (not in the loaded vocabulary {pairs[ox.NamedNode(c)].value})" for c in bad]
            p.result.status = "rejected"
    started = timer.add("concepts", started)
    if options.providers is not None:
        _check_owners(store, [p for p in batch if p.result.status == "pending"], options.providers)

    from credgraph.graph.sources import validation
    from credgraph.graph.sources.validation_profiles import ANNEX_I_ELEMENTS

    live = [p for p in batch if p.result.status == "pending"]
    reports = validation.validate_profiles([p.check_triples for p in live], (STORABLE_PROFILE, ANNEX_I_PROFILE))
    for p, report in zip(live, reports[STORABLE_PROFILE]):
        if not report.conforms:
            p.result.problems += [f"{p.result.name}: not storable: {v}" for v in violations(report)] or [f"{p.result.name}: not storable"]
            p.result.status = "rejected"
    for p, report in zip(live, reports[ANNEX_I_PROFILE]):
        if p.result.status != "pending":
            continue
        verdict = annex_i.judge(report, p.check_triples, ANNEX_I_ELEMENTS)
        p.result.compliance = Compliance(ANNEX_I_PROFILE, verdict.conforms, verdict.present, verdict.missing, verdict.claims)
        if "annex-i" in options.require and not verdict.conforms:
            p.result.problems.append(f"{p.result.name}: not Annex I compliant: {compliance_text(p.result.compliance)}")
            p.result.status = "rejected"
    timer.add("validate", started)
    # Personal values never leave in messages (they are printed and may be logged), nor in the claims'
    # titles the compliance report quotes (the claims are the learner's record).
    for p in batch:
        p.result.problems = [privacy.scrub(m, p.forbidden) for m in p.result.problems]
        if p.result.compliance is not None:
            for claim in p.result.compliance.claims:
                claim.title = privacy.scrub(claim.title, p.forbidden)


def _check_owners(store: Store, batch: list[PreparedDocument], providers: frozenset[str]) -> None:
    """A credential already stored for another provider is not replaced by this writer's document of the same id."""
    if not batch:
        return
    rows = store.select(queries.load("ingest-record-bodies"),
                        values=[{"graph": ox.NamedNode(ns.source_graph(p.result.source_id))} for p in batch]).rows
    bodies = {row["graph"].value: row["body"].value for row in rows}
    for p in batch:
        body = bodies.get(ns.source_graph(p.result.source_id))
        if body is not None and body not in providers:
            p.result.status, p.result.forbidden = "rejected", True
            p.result.problems.append(f"{p.result.name}: this credential is stored for another provider ({body}); "
                                     "this key may not replace it")


def compliance_text(compliance: Compliance) -> str:
    """One line: what the credential misses, and from which main claim."""
    if not compliance.missing:
        return "all elements present"
    where = [f"claim \"{c.title}\" ({c.kind}) misses {', '.join(c.missing)}" for c in compliance.claims if c.main and c.missing]
    claimed = {e for c in compliance.claims if c.main for e in c.missing}
    own = [e for e in compliance.missing if e not in claimed]
    if own:
        where.insert(0, f"the credential misses {', '.join(own)}")
    return f"missing {', '.join(compliance.missing)} ({'; '.join(where)})"


def validate_many(graphs: list[list[ox.Triple]], profile: str) -> list:
    from credgraph.graph.sources import validation  # here: pySHACL loads only when a document is validated

    return list(validation.validate_many(graphs, profile=profile)) if graphs else []


def violations(report) -> list[str]:
    return [_result_text(r) for r in report.results if str(getattr(r, "severity", "Violation")).lower().endswith("violation")]


def _result_text(result) -> str:
    element = getattr(result, "element", "") or ""
    path = getattr(result, "path", "") or ""
    message = getattr(result, "message", "") or ""
    where = " ".join(x for x in (element, str(path) if path else "") if x)
    return f"{where}: {message}" if where else message
