"""``credgraph import credentials|badges|catalogue``, ``credgraph validate``, ``credgraph delete``."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from credgraph.graph.sources import catalogue_import
from credgraph.graph.sources import chunk_checks
from credgraph.graph.sources import document_reading
from credgraph.graph.sources import document_steps
from credgraph.graph.sources import ingest
from credgraph.graph.workspace import Workspace
from credgraph.progress import Progress

RAW = argparse.RawDescriptionHelpFormatter
CREDENTIAL_PROFILES = ["storable-credential", "annex-i-credential"]
CATALOGUE_PROFILES = ["storable-specification", "annex-i-catalogue"]


def register(commands, imports) -> None:
    """Add ``import credentials``, ``import badges``, ``import catalogue``, ``validate`` and ``delete``."""
    for kind, what, example in (
        ("credentials", "issued credentials: EDC JSON-LD (ELM 3.1-3.3), sealed EDC (JAdES), Open Badges 3.0",
         "  credgraph import credentials Sample-CertOfPart-signed.jsonld\n"
         "  credgraph import credentials issued/ batch-2024.zip --quarantine\n"
         "  credgraph import credentials issued/ --require annex-i --trust-anchors eu-tsl.pem"),
        ("badges", "Open Badges 3.0 OpenBadgeCredentials (other documents are rejected)",
         "  credgraph import badges badges/ --quarantine"),
    ):
        p = imports.add_parser(
            kind,
            help=f"import {what}",
            formatter_class=RAW,
            description=f"Import {what}.\n\n"
            "PATH may be files, directories (searched for *.json, *.jsonld, *.zip) or zip archives.\n"
            "Each document is written all or nothing: its personal data (the learner, the\n"
            "credential's id) only into the private store, its public description (what was\n"
            "awarded, by whom, from which country) and a pseudonymised issuance record into\n"
            "the public store. A document that cannot be stored is rejected with the reason\n"
            "(or kept in the private store's quarantine with --quarantine). Annex I compliance\n"
            "is recorded, and rejects only with --require annex-i. Importing the same content\n"
            "again changes nothing; changed content replaces the earlier version.\n\n"
            "Sealed credentials: the seal is verified against its x5c certificate; chain trust\n"
            "is 'unknown' unless a PEM file of trust anchors is given (--trust-anchors or env\n"
            "CREDGRAPH_TRUST_ANCHORS). An invalid seal (no match, alg none or HMAC, no or bad\n"
            "x5c, algorithm not fitting the key) rejects the document, and so does a document\n"
            "without a valid seal replacing a credential stored with one.\n\n"
            f"Examples:\n{example}",
        )
        p.add_argument("paths", nargs="+", metavar="PATH", help="files, directories or zip archives")
        _common_options(p)
        p.set_defaults(func=cmd_import_credentials, kind="badge" if kind == "badges" else "credential")

    p = imports.add_parser(
        "catalogue",
        help="import a catalogue of micro-credentials from a CSV file",
        formatter_class=RAW,
        description="Import a catalogue CSV (one row per learning opportunity; see docs/catalogue-csv.md)\n"
        "into its own named graph, all or nothing: any bad cell rejects the file with\n"
        "messages naming row and column, and the store keeps its earlier state.\n\n"
        "Examples:\n  credgraph import catalogue courses.csv\n  credgraph import catalogue courses.csv --require annex-i",
    )
    p.add_argument("files", nargs="+", metavar="FILE.csv")
    p.add_argument("--require", action="append", choices=["annex-i"], default=[], help="reject files that are not Annex I compliant")
    p.set_defaults(func=cmd_import_catalogue)

    p = commands.add_parser(
        "validate",
        help="check documents without importing them",
        formatter_class=RAW,
        description="Read and check credentials (JSON/JSON-LD, sealed, badges; directories and zips) or\n"
        "catalogue CSV files without storing anything. Reports, per document, whether it can be\n"
        "read and stored and which Annex I elements are present or missing.\n\n"
        "Profiles: storable-credential, annex-i-credential (credentials, default both),\n"
        "storable-specification, annex-i-catalogue (catalogue CSV, default both), edc-generic.\n\n"
        "Examples:\n  credgraph validate Sample-CertOfPart-unsigned.jsonld\n"
        "  credgraph validate issued/ --profile annex-i-credential --format json",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--profile", action="append", default=[], help="a validation profile (repeatable)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_validate)

    p = commands.add_parser(
        "delete",
        help="remove one imported document (public and private graphs)",
        formatter_class=RAW,
        description="Remove everything stored for one imported document: its public graph\n"
        "urn:credgraph:source:<id>, its private graph and any quarantine copy.\n"
        "Source ids are listed by `credgraph graphs` and printed by the import.\n\n"
        "Example:\n  credgraph delete cred-92f931eabb5a1c42",
    )
    p.add_argument("source_id", metavar="SOURCE_ID")
    p.set_defaults(func=cmd_delete)


def _common_options(p) -> None:
    p.add_argument("--quarantine", action="store_true", help="keep rejected documents with their report in the private store")
    p.add_argument("--require", action="append", choices=["annex-i"], default=[], help="reject documents that are not Annex I compliant")
    p.add_argument("--trust-anchors", metavar="PEM", help="trust anchor certificates for seal chains (env CREDGRAPH_TRUST_ANCHORS)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress display")


def _result_json(r: document_steps.DocumentResult) -> dict:
    return {
        "document": r.name,
        "status": r.status,
        "source_id": r.source_id,
        "problems": r.problems,
        "annex_i": None if r.compliance is None else {
            "conforms": r.compliance.conforms, "present": r.compliance.present, "missing": r.compliance.missing,
            "claims": [{"title": c.title, "kind": c.kind, "role": c.role, "missing": c.missing} for c in r.compliance.claims]},
        "seal": None if r.seal is None else {"status": r.seal.status, "chain_trust": r.seal.chain_trust, "reason": r.seal.reason},
        "issued": r.issued,
        "issued_from": r.issued_from,
        "issuer_country": r.issuer_country,
    }


def cmd_import_credentials(ws: Workspace, args) -> int:
    options = document_steps.IngestOptions(
        kind=args.kind,
        quarantine=args.quarantine,
        require=frozenset(args.require),
        trust_anchors=Path(args.trust_anchors) if args.trust_anchors else None,
        max_document_bytes=ws.settings.max_document_bytes,
    )
    progress = Progress(f"importing {args.kind}s", quiet=args.quiet or args.json)
    summary = ingest.ingest_paths(ws, args.paths, options, on_document=lambda r: progress.advance(1, note=r.status))
    progress.finish()
    if summary.count("imported", "replaced"):
        _refresh_stats(ws)
    if args.json:
        print(json.dumps({
            "imported": summary.count("imported"), "replaced": summary.count("replaced"),
            "unchanged": summary.count("unchanged"), "rejected": summary.count("rejected"),
            "quarantined": summary.count("quarantined"), "seconds": round(summary.elapsed, 3),
            "skipped": [{"file": f, "reason": why} for f, why in summary.skipped],
            "documents": [_result_json(r) for r in summary.documents],
        }, indent=1))
        return 0 if summary.ok else 1
    for r in summary.documents:
        if r.status in ("imported", "replaced"):
            seal = f"  seal {r.seal.status}, chain trust {r.seal.chain_trust}" if r.seal else ""
            missing = f"  Annex I {chunk_checks.compliance_text(r.compliance)}" if r.compliance and r.compliance.missing else ""
            print(f"{r.status:>9}  {r.source_id}  {r.name}{seal}{missing}")
    rate = len(summary.documents) / summary.elapsed if summary.elapsed else 0.0
    print(
        f"{summary.count('imported')} imported, {summary.count('replaced')} replaced, {summary.count('unchanged')} unchanged, "
        f"{summary.count('rejected')} rejected, {summary.count('quarantined')} quarantined, {len(summary.skipped)} files skipped "
        f"({len(summary.documents)} documents in {summary.elapsed:.1f} s, {rate:,.0f}/s)"
    )
    for file, why in summary.skipped:
        print(f"skipped: {file}: {why}", file=sys.stderr)
    missing = Counter(e for r in summary.documents if r.compliance for e in r.compliance.missing)
    if missing:
        print("Annex I elements missing (documents): " + ", ".join(f"{e} ({n})" for e, n in sorted(missing.items(), key=_element_order)))
    for r in summary.rejected:
        print(f"{r.status}: {r.name}", file=sys.stderr)
        for problem in r.problems:
            print(f"  {problem}", file=sys.stderr)
    return 0 if summary.ok else 1


def _element_order(item) -> tuple:
    element = item[0]
    return (element[:1], int(element[1:]) if element[1:].isdigit() else 0)


def cmd_import_catalogue(ws: Workspace, args) -> int:
    status = 0
    written = False
    for file in args.files:
        result = catalogue_import.ingest_catalogue(ws, file, frozenset(args.require))
        if result.status == "rejected":
            status = 1
            print(f"rejected: {result.name}", file=sys.stderr)
            for problem in result.problems:
                print(f"  {problem}", file=sys.stderr)
            continue
        line = f"{result.status:>9}  {result.source_id}  {result.name}  {result.triples:,} triples"
        if result.compliance and result.compliance.missing:
            line += f"  Annex I missing: {', '.join(result.compliance.missing)}"
        print(line)
        if result.status in ("imported", "replaced"):
            written = True
    if written:
        _refresh_stats(ws)
    return status


def _refresh_stats(ws: Workspace) -> None:
    """Bring the kept stacking completions up to date, so that the next statistics request is fast."""
    from credgraph.graph.services.issuance_stats import refresh_after_import

    refresh_after_import(ws)


def _report_json(report) -> object:
    value = report.to_json()
    return json.loads(value) if isinstance(value, str) else value


def _verdict_json(verdict) -> dict:
    return {"conforms": verdict.conforms, "present": verdict.present, "missing": verdict.missing,
            "claims": [{"title": c.title, "kind": c.kind, "role": c.role, "missing": c.missing} for c in verdict.claims]}


def cmd_validate(ws: Workspace, args) -> int:
    outputs = []
    seals: dict = {}
    verdicts: dict = {}  # document -> Annex I verdict per claim
    failed = False
    credential_paths = [p for p in args.paths if not p.lower().endswith(".csv")]
    for csv_path in [p for p in args.paths if p.lower().endswith(".csv")]:
        outputs.append(_validate_catalogue(ws, csv_path, args.profile or CATALOGUE_PROFILES))
    documents = document_reading.iter_documents(credential_paths, ws.settings.max_document_bytes) if credential_paths else []
    for outcome in ingest.validate_documents(ws, documents, args.profile or CREDENTIAL_PROFILES):
        outputs.append((outcome.name, outcome.problems, outcome.reports, outcome.scrub))
        seals[outcome.name] = outcome.seal
        verdicts[outcome.name] = outcome.annex_i
    def conforms(name: str, profile: str, report) -> bool:
        # Annex I is judged over the credential and its main claims (graph/sources/annex_i.py).
        verdict = verdicts.get(name) if profile == chunk_checks.ANNEX_I_PROFILE else None
        return verdict.conforms if verdict is not None else report.conforms

    for name, problems, reports, scrub in outputs:
        if problems or any(not conforms(name, p, r) for p, r in reports.items()):
            failed = True
    if args.format == "json":
        print(json.dumps([
            {"document": name, "problems": problems,
             "seal": None if seals.get(name) is None else {
                 "status": seals[name].status, "chain_trust": seals[name].chain_trust, "reason": seals[name].reason},
             "reports": {profile: json.loads(scrub(json.dumps(_report_json(r)))) for profile, r in reports.items()},
             "annex_i": None if verdicts.get(name) is None else json.loads(scrub(json.dumps(_verdict_json(verdicts[name]))))}
            for name, problems, reports, scrub in outputs
        ], indent=1))
        return 1 if failed else 0
    for name, problems, reports, scrub in outputs:
        print(f"== {name}")
        if seals.get(name) is not None:
            print(f"  seal: {seals[name].status}, chain trust {seals[name].chain_trust} ({seals[name].reason})")
        for problem in problems:
            print(f"  error: {problem}")
        for profile, report in reports.items():
            print(f"  {profile}: {'conforms' if conforms(name, profile, report) else 'does not conform'}")
            verdict = verdicts.get(name) if profile == chunk_checks.ANNEX_I_PROFILE else None
            if verdict is not None:
                print(f"    present: {', '.join(verdict.present) or '-'}")
                print(f"    missing: {', '.join(verdict.missing) or '-'}")
                for claim in verdict.claims:
                    counted = "" if claim.main else " (a part: not counted)"
                    print(scrub(f"    {claim.role} claim \"{claim.title}\" ({claim.kind}): missing {', '.join(claim.missing) or '-'}{counted}"))
            elif profile.startswith("annex-i"):
                print(f"    present: {', '.join(sorted(report.elements_present(), key=lambda e: _element_order((e,)))) or '-'}")
                print(f"    missing: {', '.join(sorted(report.elements_missing(), key=lambda e: _element_order((e,)))) or '-'}")
            if not report.conforms:  # every result, parts' included
                for line in scrub(report.to_text()).splitlines():
                    print(f"    {line}")
    return 1 if failed else 0


def _validate_catalogue(ws: Workspace, path: str, profiles: list[str]):
    from credgraph.graph.sources import catalogue_csv

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return (path, [f"{path}: cannot read ({exc.strerror})"], {}, lambda s: s)
    if len(data) > ws.settings.max_document_bytes:
        return (path, [f"{path}: {len(data):,} bytes is over the document size limit of {ws.settings.max_document_bytes:,} bytes"], {}, lambda s: s)
    resolver = catalogue_csv.skill_label_resolver(ws.store)
    parsed = catalogue_csv.parse_catalogue_csv(data, path, resolver)
    if parsed.errors:
        return (path, list(parsed.errors), {}, lambda s: s)
    from credgraph.graph.sources.validation import validate

    return (path, [], {profile: validate(parsed.triples, profile=profile) for profile in profiles}, lambda s: s)


def cmd_delete(ws: Workspace, args) -> int:
    removed = ingest.delete_source(ws, args.source_id)
    if not removed:
        print(f"nothing stored under {args.source_id}", file=sys.stderr)
        return 1
    for graph in removed:
        print(f"removed {graph}")
    _refresh_stats(ws)
    return 0
