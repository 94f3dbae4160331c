"""The ingest pipeline: issued credentials (EDC JSON-LD, sealed EDC, Open Badges 3.0) into the stores.

For each document: read (size limit, UTF-8, JSON, nesting) -> open the seal if
sealed (verify it) -> JSON-LD to RDF with bundled contexts -> normalise (ELM 3.3,
``nationalID``) -> split into the private graph and the public description ->
checks. Two questions are kept apart:

- *storable?* literals well-typed, known concepts of loaded controlled
  vocabularies, the ``storable-credential`` SHACL profile, a seal that is not
  invalid, no personal value of the learner in any public text (screening,
  docs/privacy.md). No: the document is rejected (or, with ``quarantine``,
  kept whole with its report in ``urn:credgraph:quarantine:<id>`` in the
  private store).
- *Annex I compliant?* recorded as a ``cg:ComplianceResult`` (present and
  missing elements); a reason to reject only with ``require={"annex-i"}``.

Writes are per chunk of documents, each document all or nothing across the
stores: the private graphs are written first (one atomic call), then the
research records with the learner pseudonyms, then the public graphs (one
atomic call each). If a later write fails, the earlier stores are put back as
they were (new graphs dropped, replaced ones restored from the copy taken
before writing). A process killed between the writes cannot put anything
back: the next import or server start drops what it left half-written
(:mod:`credgraph.graph.store.consistency`). Names are keyed with the instance secret
(docs/privacy.md). Re-importing the same bytes is a no-op (content hash in
provenance); changed content replaces every part.
"""

from __future__ import annotations

import gc
import os
import re
import stat
import threading
import time
import zipfile
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from credgraph import queries
from credgraph.graph.sources import annex_i
from credgraph.graph.sources import badges
from credgraph.graph.store import consistency
from credgraph.graph.sources import edc
from credgraph.graph.sources import jsonld
from credgraph.graph.sources.datatypes import literal_problems
from credgraph.graph.sources import privacy
from credgraph.graph.sources import seal
from credgraph.graph import namespaces as ns
from credgraph.graph.sources.bounded_cache import BoundedCache
from credgraph.graph.sources.edc import CredentialError, CredentialSplit
from credgraph.graph.sources.jsonld_contexts import DocumentError
from credgraph.graph.sources.jsonld_templates import Statements, is_token
from credgraph.graph.store.interface import Provenance, Store, StoreError, content_hash
from credgraph.graph.keyed_names import keyed_hash, keyed_id
from credgraph.graph.workspace import Workspace

DOCUMENT_SUFFIXES = (".json", ".jsonld", ".json-ld")
# Read so that they are refused by name (EDC XML), never skipped in silence.
REFUSED_SUFFIXES = (".xml",)
STORABLE_PROFILE = "storable-credential"
ANNEX_I_PROFILE = "annex-i-credential"
_SNB_CONCEPT = re.compile(r"^http://data\.europa\.eu/snb/([a-z][a-z0-9-]*)/([^/#]+)$")
_SCHEME_CODE = "25831c2"
RDF_TYPE = ox.NamedNode(ns.RDF + "type")
CG = ns.CG


# -- data ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceDocument:
    """One document to import: its display name and bytes, or why it could not be read (or was skipped)."""

    name: str
    data: bytes | None = None
    error: str | None = None
    skipped: str | None = None  # a file of a directory or archive that is no document: why it was left out


@dataclass(frozen=True)
class IngestOptions:
    """How to import. ``kind``: ``credential`` (EDC, sealed EDC or badge) or ``badge`` (badges only)."""

    kind: str = "credential"
    quarantine: bool = False
    require: frozenset[str] = frozenset()  # {"annex-i"}: non-compliant documents are rejected
    trust_anchors: Path | None = None
    chunk_size: int = 200  # documents per validator call
    chunk_bytes: int = 64 * 1024 * 1024  # ... or fewer: a chunk holds at most this many document bytes
    write_chunk: int = 50  # documents per store write (see _write)
    max_document_bytes: int = 5 * 1024 * 1024
    # The awarding bodies (organisation IRIs) the writer may write for (an issuer key's providers); None: any.
    providers: frozenset[str] | None = None


@dataclass
class Compliance:
    """The Annex I verdict on one document: over the credential and its main claims, and per claim (:mod:`annex_i`)."""

    profile: str
    conforms: bool
    present: list[str]
    missing: list[str]
    claims: list[annex_i.ClaimVerdict] = field(default_factory=list)


@dataclass
class DocumentResult:
    """What happened to one document."""

    name: str
    status: str  # imported | replaced | unchanged | rejected | quarantined
    source_id: str | None = None
    problems: list[str] = field(default_factory=list)
    compliance: Compliance | None = None
    seal: seal.SealVerification | None = None
    public_triples: int = 0
    private_triples: int = 0
    issued: str | None = None  # the record's issue date (YYYY-MM-DD)
    issued_from: str | None = None  # the property it was read from (cred:issued, cred:issuanceDate, cred:validFrom, elm:awardingDate)
    issuer_country: str | None = None  # a country authority concept IRI, never a region
    forbidden: bool = False  # refused because it is another provider's (the API answers 403)


@dataclass
class IngestSummary:
    """The outcome of one import run."""

    documents: list[DocumentResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why) of files left out of a directory or archive
    elapsed: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def count(self, *statuses: str) -> int:
        """How many documents ended with one of ``statuses``."""
        return sum(1 for d in self.documents if d.status in statuses)

    @property
    def rejected(self) -> list[DocumentResult]:
        """Documents not stored (rejected or quarantined)."""
        return [d for d in self.documents if d.status in ("rejected", "quarantined")]

    @property
    def ok(self) -> bool:
        """True when no document was rejected or quarantined."""
        return not self.rejected


@dataclass
class _Prepared:
    """A document that passed the per-document steps, waiting for the batch checks and the write."""

    result: DocumentResult
    content_hash: str
    split: CredentialSplit
    check_triples: list[ox.Triple]  # what the SHACL profiles see
    forbidden: set
    concepts: list[tuple[ox.NamedNode, ox.NamedNode]]
    private_source: str
    public_hash: str  # the content hash as the public and research stores record it (keyed)


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - started
        return now


# -- reading sources ------------------------------------------------------------


def iter_documents(paths: Iterable[str | Path], max_bytes: int) -> Iterator[SourceDocument]:
    """The documents named by ``paths``: files, directories (recursively: *.json, *.jsonld) and zip archives."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if not child.is_file():
                    continue
                if child.suffix.lower() in DOCUMENT_SUFFIXES + REFUSED_SUFFIXES or child.suffix.lower() == ".zip":
                    yield from _file_documents(child, max_bytes)
                else:
                    yield SourceDocument(str(child), skipped=_skip_reason(child.name))
        elif path.exists():
            yield from _file_documents(path, max_bytes)
        else:
            yield SourceDocument(str(path), error=f"{path}: no such file or directory")


def _file_documents(path: Path, max_bytes: int) -> Iterator[SourceDocument]:
    name = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        yield SourceDocument(name, error=f"{name}: cannot read ({exc.strerror})")
        return
    if not stat.S_ISREG(info.st_mode):
        yield SourceDocument(name, error=f"{name}: not a regular file")
        return
    if path.suffix.lower() == ".zip":
        yield from _zip_documents(path, max_bytes)
        return
    if info.st_size > max_bytes:
        yield SourceDocument(name, error=f"{name}: {info.st_size:,} bytes is over the document size limit of {max_bytes:,} bytes")
        return
    try:
        yield SourceDocument(name, path.read_bytes())
    except OSError as exc:
        yield SourceDocument(name, error=f"{name}: cannot read ({exc.strerror})")


def unsafe_zip_entry(entry: str) -> bool:
    """True for entry names that would escape an extraction directory (absolute, ``..``, drive letters)."""
    normal = entry.replace("\\", "/")
    parts = PurePosixPath(normal).parts
    return normal.startswith("/") or ".." in parts or bool(re.match(r"^[A-Za-z]:", normal))


def _zip_documents(path: Path, max_bytes: int) -> Iterator[SourceDocument]:
    name = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield SourceDocument(name, error=f"{name}: not a readable zip archive ({exc})")
        return
    with archive:
        entries = [e for e in archive.infolist() if not e.is_dir()]
        unsafe = [e.filename for e in entries if unsafe_zip_entry(e.filename)]
        if unsafe:
            # The whole archive is refused: an archive built to escape a directory is not trusted for anything.
            yield SourceDocument(name, error=f"{name}: zip archive has unsafe entry names (path traversal): {', '.join(repr(u) for u in unsafe[:5])}; nothing imported from it")
            return
        for entry in entries:
            entry_name = f"{name}!{entry.filename}"
            if not entry.filename.lower().endswith(DOCUMENT_SUFFIXES + REFUSED_SUFFIXES):
                yield SourceDocument(entry_name, skipped=_skip_reason(entry.filename))
                continue
            if entry.file_size > max_bytes:
                yield SourceDocument(entry_name, error=f"{entry_name}: {entry.file_size:,} bytes is over the document size limit of {max_bytes:,} bytes")
                continue
            try:
                with archive.open(entry) as handle:
                    data = handle.read(max_bytes + 1)  # never trust the declared size alone
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                yield SourceDocument(entry_name, error=f"{entry_name}: cannot read from the archive ({exc})")
                continue
            if len(data) > max_bytes:
                yield SourceDocument(entry_name, error=f"{entry_name}: over the document size limit of {max_bytes:,} bytes")
                continue
            yield SourceDocument(entry_name, data)


def _skip_reason(filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    kind = f"a {suffix} file" if suffix else "a file without extension"
    return f"{kind}, not a credential document (imported: {', '.join(DOCUMENT_SUFFIXES)}; refused by name: {', '.join(REFUSED_SUFFIXES)})"


_EDC_XML = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?europassCredential\b|xmlns(?::\w+)?=[\"']http://data\.europa\.eu/snb[\"']")


EDC_UPLOAD_CONTEXT = ["https://www.w3.org/2018/credentials/v1", "http://data.europa.eu/snb/model/context/edc-ap"]


def upload_form_credential(credential: dict, name: str) -> dict:
    """The credential inside an EDC upload form (``{"credential": {...}}``), with the contexts EDC gives it."""
    if "@context" in credential:
        return credential
    types = credential.get("type")
    types = types if isinstance(types, list) else [types]
    if "EuropeanDigitalCredential" not in types and "VerifiableCredential" not in types:
        raise DocumentError(f'{name}: {{"credential": ...}} holds no EuropeanDigitalCredential or VerifiableCredential')
    return {"@context": list(EDC_UPLOAD_CONTEXT), **credential}


def xml_problem(data: bytes, name: str) -> str | None:
    """Why an XML document is refused (named by its format), or None if ``data`` is not XML.

    EDC issued credentials as XML (ELM v2, ``europassCredential`` in the
    ``http://data.europa.eu/snb`` namespace) from 2019 to 2023; credgraph reads
    the JSON-LD of ELM 3. Only the first 4 KB are looked at.
    """
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return None
    if _EDC_XML.search(head):
        return (f"{name}: EDC XML (ELM v2) credential: not supported; credgraph imports EDC JSON-LD (ELM 3.x) "
                "credentials: issue it again as JSON-LD from EDC")
    return f"{name}: an XML document: not supported; credgraph imports JSON-LD credentials (EDC ELM 3.x, Open Badges 3.0)"


# -- per-document steps -------------------------------------------------------------


def _source_id(key: bytes, kind: str, credential_id: str | None, data: bytes) -> str:
    """The document's name in the stores: keyed with the instance secret (docs/privacy.md), never computable from it."""
    return keyed_id(key, kind, credential_id if credential_id else content_hash(data))


def _concept_pairs(triples: Iterable[ox.Triple]) -> list[tuple[ox.NamedNode, ox.NamedNode]]:
    """(concept, scheme) for every object IRI of an EC controlled list (``data.europa.eu/snb/<list>/<code>``)."""
    if isinstance(triples, Statements):
        triples = triples.select("ingest.concepts", _may_cite_concept)
    pairs = {}
    for t in triples:
        o = t.object
        if type(o) is ox.NamedNode and t.predicate != RDF_TYPE:
            scheme = _scheme_of(o)
            if scheme is not None:
                pairs[o] = scheme
    return list(pairs.items())


def _may_cite_concept(t: ox.Triple) -> bool:
    """For a template's statement: its object is an EC concept, or a document's IRI that may be one."""
    o = t.object
    return type(o) is ox.NamedNode and t.predicate != RDF_TYPE and (is_token(o) or _scheme_of(o) is not None)


_SCHEMES: dict[ox.NamedNode, ox.NamedNode | None] = {}


def _scheme_of(iri: ox.NamedNode) -> ox.NamedNode | None:
    """The controlled list an EC concept IRI belongs to, or None (remembered: credentials cite the same concepts)."""
    if iri in _SCHEMES:
        return _SCHEMES[iri]
    value = iri.value
    if not value.startswith(ns.SNB):
        return None
    m = _SNB_CONCEPT.match(value)
    scheme = ox.NamedNode(f"{ns.SNB}{m.group(1)}/{_SCHEME_CODE}") if m and m.group(1) != "model" and m.group(2) != _SCHEME_CODE else None
    if len(_SCHEMES) < 100_000:  # bounded, though only the EC's concept IRIs land here
        _SCHEMES[iri] = scheme
    return scheme


def _expected_private_graph(document: dict, is_badge: bool, key: bytes) -> ox.NamedNode | None:
    """The private graph an EDC credential will most likely go to: named after its top-level ``id``.

    Known before parsing, so that the document's statements can be made as
    quads of that graph at once. Only a guess: the write uses the graph
    the credential really gets, converting if the guess was wrong.
    """
    credential = document.get("id")
    if not isinstance(credential, str) or is_badge:
        return None
    try:
        return ox.NamedNode(ns.private_graph(keyed_id(key, "cred", credential)))
    except ValueError:
        return None


def _prepare(doc: SourceDocument, options: IngestOptions, key: bytes, anchors, timer: _Timer) -> _Prepared | DocumentResult:
    """Everything that can be decided about one document on its own."""
    if doc.error:
        return DocumentResult(doc.name, "rejected", problems=[doc.error])
    assert doc.data is not None
    data, name = doc.data, doc.name
    started = time.perf_counter()
    if len(data) > options.max_document_bytes:
        return DocumentResult(name, "rejected", problems=[f"{name}: {len(data):,} bytes is over the document size limit of {options.max_document_bytes:,} bytes"])
    refused = xml_problem(data, name)
    if refused:
        return DocumentResult(name, "rejected", problems=[refused])
    verification = None
    try:
        document = jsonld.decode_json(data, name, max_depth=None)  # to_triples checks the depth
        if seal.is_sealed(document):
            opened = seal.open_seal(document, name, anchors)
            verification = opened.verification
            if verification.status == "invalid":
                return DocumentResult(name, "rejected", problems=[f"{name}: seal invalid: {verification.reason}"], seal=verification)
            document = jsonld.decode_json(opened.payload, f"{name} (sealed payload)", max_depth=None)
        if not isinstance(document, dict):
            raise DocumentError(f"{name}: expected a JSON object (a credential), found a JSON {type(document).__name__}")
        if "@context" not in document and isinstance(document.get("credential"), dict):
            # What one uploads to the EDC issuer (the EC publishes its samples in this form too): the
            # unsigned credential without its @context. EDC reads it with the VC 1.1 and EDC contexts,
            # so credgraph does the same (both are bundled: nothing is fetched).
            document = upload_form_credential(document["credential"], name)
        started = timer.add("read", started)
        is_badge = bool(badges.types_of(document) & {"OpenBadgeCredential", "AchievementCredential"})
        rdf = jsonld.to_triples(document, name, _expected_private_graph(document, is_badge, key))
        started = timer.add("json-ld", started)
        if options.kind == "badge" and not is_badge:
            raise CredentialError(f"{name}: not an Open Badges 3.0 OpenBadgeCredential")
        if is_badge:
            split = badges.split_badge(document, rdf, name, key)
            check = badges.elm_view(split, document, split.public)
        else:
            split = edc.split_edc(rdf, name, key)
            check = rdf
        forbidden = split.forbidden
        started = timer.add("split", started)
        problems = [f"{name}: {p}" for p in literal_problems(rdf, withheld=privacy.PERSONAL_PROPERTIES)]
        problems += [hit.message(name) for hit in _screen(rdf, split)]
    except (DocumentError, seal.SealError, CredentialError, privacy.PrivacyError) as exc:
        return DocumentResult(name, "rejected", problems=[str(exc)], seal=verification)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, MemoryError) as exc:
        # Any other failure on one document rejects that document only; the rest of the batch imports.
        # The message names the class only: an exception's text could quote personal data.
        known = str(exc) if str(exc).startswith("Exceeds the limit") else type(exc).__name__  # Python's int limit
        return DocumentResult(name, "rejected", problems=[f"{name}: the document could not be read ({known})"],
                              seal=verification)
    body = split.awarding_body.value if isinstance(split.awarding_body, ox.NamedNode) else None
    if options.providers is not None and body not in options.providers:
        return DocumentResult(name, "rejected", forbidden=True, seal=verification, problems=[
            f"{name}: the awarding body {body or '(none)'} is not a provider this key may write for"])
    kind = "badge" if is_badge else "cred"
    sid = _source_id(key, kind, split.credential_id, data)
    result = DocumentResult(name, "rejected" if problems else "pending", source_id=sid, problems=problems, seal=verification,
                            issued=split.issued, issued_from=split.issued_from,
                            issuer_country=split.issuer_country.value if split.issuer_country is not None else None)
    digest = content_hash(data)
    prepared = _Prepared(result, digest, split, check, forbidden, _concept_pairs(rdf), name, keyed_hash(key, digest))
    timer.add("checks", started)
    return prepared


def _screen(rdf, split: CredentialSplit) -> list[privacy.ScreeningHit]:
    """The learner's personal values found in the public text of ``split`` (names, e-mails, identifiers, birth dates)."""
    graph = privacy.Graph(rdf)
    persons = [t.object for t in graph.triples if t.predicate == _SUBJECT]
    return privacy.screen_public(split.public, privacy.personal_values(graph, persons))


_SUBJECT = ox.NamedNode(ns.CRED + "credentialSubject")


def _report_triples(prepared: _Prepared) -> list:
    """The issuance record, its compliance result and seal verification (public), as quads of the source graph."""
    sid = prepared.result.source_id
    graph = ox.NamedNode(ns.source_graph(sid))
    record, triples = edc.issuance_record(prepared.split, sid, graph)
    # The learner's pseudonym goes to the research store only (docs/privacy.md): never public.
    triples = [t for t in triples if t.predicate != _LEARNER]
    compliance = prepared.result.compliance
    if compliance is not None:
        node = ox.NamedNode(f"{ns.CG_ID}report/{sid}-compliance")
        triples += [
            ox.Quad(record, ox.NamedNode(CG + "compliance"), node, graph),
            ox.Quad(node, RDF_TYPE, ox.NamedNode(CG + "ComplianceResult"), graph),
            ox.Quad(node, ox.NamedNode(CG + "conforms"), _TRUE if compliance.conforms else _FALSE, graph),
            ox.Quad(node, ox.NamedNode(CG + "profile"), ox.Literal(compliance.profile), graph),
        ]
        triples += [ox.Quad(node, ox.NamedNode(CG + "presentElement"), ox.Literal(e), graph) for e in compliance.present]
        triples += [ox.Quad(node, ox.NamedNode(CG + "missingElement"), ox.Literal(e), graph) for e in compliance.missing]
        # Per claim: its role, kind, public specification and missing elements; never
        # the claim's own IRI or title (the claim is part of the learner's record).
        for i, claim in enumerate(compliance.claims):
            claim_node = ox.NamedNode(f"{ns.CG_ID}report/{sid}-compliance-claim-{i}")
            triples += [
                ox.Quad(node, ox.NamedNode(CG + "claimCompliance"), claim_node, graph),
                ox.Quad(claim_node, RDF_TYPE, ox.NamedNode(CG + "ClaimCompliance"), graph),
                ox.Quad(claim_node, ox.NamedNode(CG + "claimRole"), ox.Literal(claim.role), graph),
                ox.Quad(claim_node, ox.NamedNode(CG + "claimKind"), ox.Literal(claim.kind), graph),
            ]
            for spec in claim.specifications:
                public = prepared.split.public_specs.get(spec)
                if public is not None:
                    triples.append(ox.Quad(claim_node, ox.NamedNode(CG + "claimSpecification"), public, graph))
            triples += [ox.Quad(claim_node, ox.NamedNode(CG + "missingElement"), ox.Literal(e), graph) for e in claim.missing]
    if prepared.result.seal is not None:
        node = ox.NamedNode(f"{ns.CG_ID}report/{sid}-seal")
        triples.append(ox.Quad(record, ox.NamedNode(CG + "seal"), node, graph))
        triples += prepared.result.seal.to_triples(node)
    return triples


def _research_triples(prepared: _Prepared) -> list[ox.Triple]:
    """The issuance record with its learner pseudonym, for the research store (same record IRI and graph name)."""
    return edc.issuance_record(prepared.split, prepared.result.source_id)[1]


_LEARNER = ox.NamedNode(CG + "learner")
_TRUE = ox.Literal("true", datatype=ox.NamedNode(ns.XSD + "boolean"))
_FALSE = ox.Literal("false", datatype=ox.NamedNode(ns.XSD + "boolean"))


# -- batch steps ----------------------------------------------------------------


def _validate_many(graphs: list[list[ox.Triple]], profile: str) -> list:
    from credgraph.graph.sources import validation  # here: pySHACL loads only when a document is validated

    return list(validation.validate_many(graphs, profile=profile)) if graphs else []


def _result_text(result) -> str:
    element = getattr(result, "element", "") or ""
    path = getattr(result, "path", "") or ""
    message = getattr(result, "message", "") or ""
    where = " ".join(x for x in (element, str(path) if path else "") if x)
    return f"{where}: {message}" if where else message


def _violations(report) -> list[str]:
    return [_result_text(r) for r in report.results if str(getattr(r, "severity", "Violation")).lower().endswith("violation")]


def _batch_checks(store: Store, batch: list[_Prepared], options: IngestOptions, timer: _Timer) -> None:
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
            p.result.problems += [f"{p.result.name}: not storable: {v}" for v in _violations(report)] or [f"{p.result.name}: not storable"]
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
    # Personal values never leave in messages (they are printed and may be logged).
    for p in batch:
        p.result.problems = [privacy.scrub(m, p.forbidden) for m in p.result.problems]


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


def _check_owners(store: Store, batch: list[_Prepared], providers: frozenset[str]) -> None:
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


def _graph_hashes(store: Store, graphs: Sequence[str]) -> dict[str, str]:
    if not graphs:
        return {}
    rows = store.select(queries.load("ingest-graph-hashes"), values=[{"graph": ox.NamedNode(g)} for g in graphs])
    return {row["graph"].value: row["hash"].value for row in rows}


def _graph_triples(store: Store, graph: str) -> list[ox.Triple]:
    return store.construct(queries.load("ingest-graph-triples"), {"graph": ox.NamedNode(graph)})


def _write(ws: Workspace, batch: list[_Prepared], timer: _Timer, write_chunk: int = 50) -> None:
    """Write the storable documents of a chunk, ``write_chunk`` documents per store call.

    One ``replace_graphs`` call is one SPARQL update holding every triple of the
    slice as text; slicing bounds its size (a document with embedded images is
    ~100 KB) while keeping the per-call overhead small (measured: slices of
    10..200 documents cost the same per document). Each document stays all or
    nothing.
    """
    for start in range(0, len(batch), write_chunk):
        _write_slice(ws, batch[start:start + write_chunk], timer)


def _write_slice(ws: Workspace, batch: list[_Prepared], timer: _Timer) -> None:
    """Private graphs first, then public; undo the private write if the public one fails."""
    started = time.perf_counter()
    todo = [p for p in batch if p.result.status == "pending"]
    if not todo:
        return
    public_names = [ns.source_graph(p.result.source_id) for p in todo]
    existing = _graph_hashes(ws.store, public_names)
    _keep_valid_seals(ws.store, todo, public_names, existing)
    writes: list[_Prepared] = []
    for p, graph in zip(todo, public_names):
        if p.result.status == "rejected":
            continue
        if existing.get(graph) == p.public_hash:
            p.result.status = "unchanged"
        else:
            p.result.status = "replaced" if graph in existing else "imported"
            writes.append(p)
    started = timer.add("store-check", started)
    if not writes:
        return
    private_names = [ns.private_graph(p.result.source_id) for p in writes]
    previous = _private_snapshot(ws.private, private_names)
    research_names = [ns.source_graph(p.result.source_id) for p in writes]
    previous_research = _private_snapshot(ws.research, research_names)
    descriptions = {p.result.source_id: description_graph(p.split.public) for p in writes}
    stored = _graph_hashes(ws.store, sorted({g for g, _ in descriptions.values() if g}))
    private_graphs, private_prov, public_graphs, public_prov = {}, {}, {}, {}
    research_graphs, research_prov = {}, {}
    for p in writes:
        sid = p.result.source_id
        private_graphs[ns.private_graph(sid)] = p.split.private
        private_prov[ns.private_graph(sid)] = Provenance(kind="private", source=p.private_source, content_hash=p.content_hash)
        record = _report_triples(p)
        graph, digest = descriptions[sid]
        if graph:
            # The record names the shared graph describing what it awards, so
            # that descriptions no credential uses any more can be dropped.
            record.append(ox.Quad(ox.NamedNode(f"{ns.CG_ID}issuance/{sid}"), ox.NamedNode(CG + "descriptionGraph"), ox.NamedNode(graph),
                                  ox.NamedNode(ns.source_graph(sid))))
        privacy.assert_public(record, p.forbidden, p.result.name)  # the split checked its public part
        public_graphs[ns.source_graph(sid)] = record
        # The public provenance names no file: file names can carry learners' names.
        public_prov[ns.source_graph(sid)] = Provenance(kind="source", source=f"credgraph:{sid}", content_hash=p.public_hash)
        research_graphs[ns.source_graph(sid)] = _research_triples(p)
        research_prov[ns.source_graph(sid)] = Provenance(kind="research", source=f"credgraph:{sid}", content_hash=p.public_hash)
        if graph and graph not in stored and graph not in public_graphs:
            public_graphs[graph] = p.split.public
            public_prov[graph] = Provenance(kind="source", source=f"credgraph:{graph[len(ns.SOURCE_GRAPH):]}", content_hash=digest)
        p.result.public_triples = len(set(p.split.public + record))
        p.result.private_triples = len(p.split.private)
    started = timer.add("build-graphs", started)
    # Private, then research, then public: a crash leaves at most a private (and research) part
    # without its public record, which the next open drops (graph.consistency).
    ws.private.replace_graphs(private_graphs, private_prov)
    try:
        ws.research.replace_graphs(research_graphs, research_prov)
        ws.store.replace_graphs(public_graphs, public_prov)
    except BaseException:
        _restore_private(ws.research, research_names, previous_research)
        _restore_private(ws.private, private_names, previous)
        raise
    if any(p.result.status == "replaced" for p in writes):
        drop_unused_descriptions(ws.store)
    timer.add("store-write", started)


def _keep_valid_seals(store: Store, todo: list[_Prepared], public_names: list[str], existing: dict[str, str]) -> None:
    """Refuse to replace a credential stored with a valid seal by a document without one (or an older one).

    Otherwise anyone could swap a genuine sealed credential for an unsealed
    copy with other content under the same credential id.
    """
    replacing = [g for p, g in zip(todo, public_names) if g in existing and existing[g] != p.public_hash]
    if not replacing:
        return
    rows = store.select(queries.load("ingest-stored-seals"), values=[{"graph": ox.NamedNode(g)} for g in replacing])
    sealed = {row["graph"].value: row.get("signingTime") for row in rows if row["status"].value == "valid"}
    for p, graph in zip(todo, public_names):
        if graph not in sealed or existing.get(graph) == p.public_hash:
            continue
        new, sid = p.result.seal, p.result.source_id
        if new is None or not new.valid:
            why = "it carries no seal" if new is None else f"its seal is {new.status}"
            p.result.problems.append(f"{p.result.name}: refused: credential {sid} is stored with a valid seal and this "
                                     f"document cannot replace it ({why}; only a validly sealed document may)")
        elif _earlier(new.signing_time, sealed[graph]):
            p.result.problems.append(f"{p.result.name}: refused: credential {sid} is stored with a seal signed "
                                     f"{sealed[graph].value}; this document's seal is older ({new.signing_time})")
        else:
            continue
        p.result.status = "rejected"


def _earlier(signing_time: str, stored: ox.Literal | None) -> bool:
    """True when both signing times are known and ``signing_time`` is before ``stored``."""
    if not signing_time or stored is None:
        return False
    try:
        return datetime.fromisoformat(signing_time.replace("Z", "+00:00")) < datetime.fromisoformat(stored.value.replace("Z", "+00:00"))
    except ValueError:
        return False


def drop_unused_descriptions(store: Store) -> list[str]:
    """Drop the shared description graphs that no issuance record names any more."""
    unused = [row["graph"].value for row in store.select(queries.load("ingest-unused-descriptions")).rows]
    store.drop_graphs(unused)
    return unused


def description_graph(description: Sequence[ox.Triple]) -> tuple[str | None, str]:
    """The shared graph for the public description of what a credential awards.

    Thousands of credentials award the same specification; each carries the
    same description. Written once per distinct content (the graph is named
    by its hash), the public dataset holds each statement once, so that a
    researcher's ``COUNT`` over the union of graphs counts credentials, not
    copies. Returns (graph name or None when empty, content hash).
    """
    if not description:
        return None, ""
    # Blank-node labels differ from document to document. Numbered in order
    # of appearance they usually agree for the same description, which then
    # needs no canonicalisation: equal numbered triples are the same graph.
    numbered = _numbered_blank_nodes(description)
    found = _DESCRIPTIONS.get(numbered)
    if found is None:
        found = _description_hash(description)
        _DESCRIPTIONS.put(numbered, found)
    return found


_DESCRIPTIONS = BoundedCache(4096)  # numbered description -> (graph, content hash)


def _numbered_blank_nodes(triples: Sequence[ox.Triple]) -> tuple:
    numbers: dict[ox.BlankNode, int] = {}
    out = []
    for t in triples:
        s, o = t.subject, t.object
        if type(s) is ox.BlankNode:
            s = numbers.setdefault(s, len(numbers))
        if type(o) is ox.BlankNode:
            o = numbers.setdefault(o, len(numbers))
        out.append((s, t.predicate, o))
    return tuple(out)


def _description_hash(description: Sequence[ox.Triple]) -> tuple[str, str]:
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in description):
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in description)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        description = [ox.Triple(q.subject, q.predicate, q.object) for q in dataset]
    lines = sorted({str(t) for t in description})
    digest = content_hash("\n".join(lines).encode("utf-8"))
    return ns.source_graph("desc-" + digest.split(":", 1)[1][:16]), digest


def _private_snapshot(store: Store, graphs: list[str]) -> dict[str, tuple[list[ox.Triple], Provenance]]:
    """The current content and provenance of those ``graphs`` that exist (to restore them on failure)."""
    hashes = _graph_hashes(store, graphs)
    if not hashes:
        return {}
    infos = {g.name: g for g in store.graphs() if g.name in hashes}
    snapshot = {}
    for graph in hashes:
        info = infos.get(graph)
        prov = Provenance(kind=info.kind if info else "private", source=info.source if info else "", content_hash=hashes[graph],
                          title=info.title if info else "")
        if info is not None:
            try:  # keep the original import time: a restored graph is the old graph, not a new import
                prov = replace(prov, imported_at=datetime.fromisoformat(info.imported_at))
            except ValueError:
                pass
        snapshot[graph] = (_graph_triples(store, graph), prov)
    return snapshot


def _restore_private(store: Store, graphs: list[str], previous: dict) -> None:
    new = [g for g in graphs if g not in previous]
    try:
        store.drop_graphs(new)
        if previous:
            store.replace_graphs({g: t for g, (t, _) in previous.items()}, {g: p for g, (_, p) in previous.items()})
    except StoreError:
        pass  # the original error is the one to report


def _quarantine(ws: Workspace, doc: SourceDocument, result: DocumentResult, rdf: list[ox.Triple] | None) -> None:
    """Keep a rejected document whole, with its problems, in the private store."""
    data = doc.data or b""
    sid = result.source_id or ws.keyed_id("doc", content_hash(data) + doc.name)
    result.source_id = sid
    graph = ns.quarantine_graph(sid)
    report = ox.NamedNode(f"{ns.CG_ID}report/{sid}-quarantine")
    triples = list(rdf or [])
    triples += [
        ox.Triple(report, RDF_TYPE, ox.NamedNode(CG + "QuarantineRecord")),
        ox.Triple(report, ox.NamedNode(ns.DC + "source"), ox.Literal(doc.name)),
    ]
    triples += [ox.Triple(report, ox.NamedNode(ns.RDFS + "comment"), ox.Literal(m)) for m in result.problems]
    text = data.decode("utf-8", errors="replace")
    triples.append(ox.Triple(report, ox.NamedNode(CG + "originalDocument"), ox.Literal(text)))
    if result.seal is not None:
        triples += result.seal.to_triples(ox.NamedNode(f"{ns.CG_ID}report/{sid}-seal"))
    ws.private.load_graph(graph, triples, Provenance(kind="quarantine", source=doc.name, content_hash=content_hash(data)))
    result.status = "quarantined"


# -- the pipeline -----------------------------------------------------------------


def ingest_documents(
    ws: Workspace,
    documents: Iterable[SourceDocument],
    options: IngestOptions | None = None,
    on_document: Callable[[DocumentResult], None] | None = None,
) -> IngestSummary:
    """Import issued credentials; see the module docstring for what happens to each."""
    with _fewer_full_collections():
        return _ingest(ws, documents, options or IngestOptions(max_document_bytes=ws.settings.max_document_bytes), on_document)


_GC_LOCK = threading.Lock()
_GC_USERS = [0, (700, 10, 10)]  # imports running, thresholds before the first


@contextmanager
def _fewer_full_collections() -> Iterator[None]:
    """Python's full garbage collections are rare while documents are imported.

    An import allocates many containers that live until their chunk is
    written; each full collection then walks all of them, and measured on the
    ingest benchmark full collections were 12% of the time. Cycles among new
    objects are still collected (generations 0 and 1 keep their thresholds).
    """
    with _GC_LOCK:
        if _GC_USERS[0] == 0:
            _GC_USERS[1] = gc.get_threshold()
            young, middle, old = _GC_USERS[1]
            gc.set_threshold(young, middle, max(old, 1000))
        _GC_USERS[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_USERS[0] -= 1
            if _GC_USERS[0] == 0:
                gc.set_threshold(*_GC_USERS[1])


def _ingest(ws: Workspace, documents: Iterable[SourceDocument], options: IngestOptions,
            on_document: Callable[[DocumentResult], None] | None) -> IngestSummary:
    summary = IngestSummary()
    timer = _Timer()
    began = time.perf_counter()
    consistency.ensure(ws)  # half-written documents of a killed import are dropped before anything else
    key = ws.pseudonym_key()
    anchor_path = seal.trust_anchor_path(options.trust_anchors or ws.settings.trust_anchors)
    anchors = seal.load_trust_anchors(anchor_path) if anchor_path else None
    batch: list[tuple[SourceDocument, _Prepared | DocumentResult]] = []

    def flush() -> None:
        prepared = [p for _, p in batch if isinstance(p, _Prepared)]
        _batch_checks(ws.store, prepared, options, timer)
        _write(ws, prepared, timer, options.write_chunk)
        for doc, item in batch:
            result = item.result if isinstance(item, _Prepared) else item
            if result.status == "rejected" and options.quarantine and not result.forbidden:
                rdf = item.split.private if isinstance(item, _Prepared) else None
                _quarantine(ws, doc, result, rdf)
            summary.documents.append(result)
            if on_document:
                on_document(result)
        batch.clear()

    pending_ids: set[str] = set()
    held = 0  # document bytes the chunk holds: 250 entries of 5 MB must not all be in memory at once
    for doc in documents:
        if doc.skipped:
            summary.skipped.append((doc.name, doc.skipped))
            continue
        item = _prepare(doc, options, key, anchors, timer)
        sid = item.result.source_id if isinstance(item, _Prepared) else None
        if sid in pending_ids:
            # The same credential twice in one chunk: write the first before the second replaces it.
            flush()
            pending_ids.clear()
            held = 0
        if sid:
            pending_ids.add(sid)
        batch.append((doc, item))
        held += len(doc.data or b"")
        if len(batch) >= options.chunk_size or held >= options.chunk_bytes:
            flush()
            pending_ids.clear()
            held = 0
    flush()
    summary.elapsed = time.perf_counter() - began
    summary.stage_seconds = timer.seconds
    return summary


def ingest_paths(ws: Workspace, paths: Sequence[str | Path], options: IngestOptions | None = None,
                 on_document: Callable[[DocumentResult], None] | None = None) -> IngestSummary:
    """Import the files, directories and zip archives named by ``paths``."""
    options = options or IngestOptions(max_document_bytes=ws.settings.max_document_bytes)
    return ingest_documents(ws, iter_documents(paths, options.max_document_bytes), options, on_document)


def delete_source(ws: Workspace, source_id: str) -> list[str]:
    """Remove one imported document: its public graph, then its private and quarantine graphs.

    Public first: if the private drop then fails, no public trace is left of a
    credential whose personal data is still held (the safe order). Returns the
    graphs removed; empty if nothing had that id.
    """
    if not re.fullmatch(r"[a-z]+-[0-9a-f]{16}", source_id):
        raise ValueError(f"{source_id!r} is not a source id (expected e.g. cred-0123456789abcdef; see `credgraph graphs`)")
    removed = []
    public = ns.source_graph(source_id)
    if ws.store.graph_hash(public) is not None:
        ws.store.drop_graphs([public])
        removed.append(public)
        removed += drop_unused_descriptions(ws.store)
    if ws.research.graph_hash(public) is not None:
        ws.research.drop_graphs([public])
        removed.append(f"research {public}")
    private = [g for g in (ns.private_graph(source_id), ns.quarantine_graph(source_id)) if ws.private.graph_hash(g) is not None]
    if private:
        ws.private.drop_graphs(private)
        removed += private
    return removed


@dataclass
class ValidationOutcome:
    """``credgraph validate`` for one document: readable? storable? Annex I?"""

    name: str
    problems: list[str]
    reports: dict[str, object]
    forbidden: set = field(default_factory=set)  # personal terms to scrub from anything printed
    seal: seal.SealVerification | None = None
    annex_i: annex_i.AnnexIVerdict | None = None  # per claim, when the annex-i-credential profile was run

    def scrub(self, text: str) -> str:
        """``text`` with this document's personal values withheld."""
        return privacy.scrub(text, self.forbidden)


def validate_documents(ws: Workspace, documents: Iterable[SourceDocument], profiles: Sequence[str]) -> list[ValidationOutcome]:
    """Read and check documents without storing anything; returns one outcome per document."""
    options = IngestOptions(max_document_bytes=ws.settings.max_document_bytes)
    key = os.urandom(32)  # pseudonyms are not shown; no key file needs to exist for validation
    timer = _Timer()
    outcomes = []
    for doc in documents:
        if doc.skipped:
            outcomes.append(ValidationOutcome(doc.name, [f"{doc.name}: skipped: {doc.skipped}"], {}))
            continue
        item = _prepare(doc, options, key, None, timer)
        if not isinstance(item, _Prepared):
            outcomes.append(ValidationOutcome(doc.name, item.problems, {}, seal=item.seal))
            continue
        if item.concepts:
            rows = [{"concept": c, "scheme": sc} for c, sc in item.concepts]
            for row in ws.store.select(queries.load("ingest-unknown-concepts"), values=rows):
                item.result.problems.append(
                    f"{doc.name}: unknown concept {row['concept'].value} (not in the loaded vocabulary {row['scheme'].value})")
        reports = {profile: _validate_many([item.check_triples], profile)[0] for profile in profiles}
        problems = [privacy.scrub(m, item.forbidden) for m in item.result.problems]
        verdict = None
        if ANNEX_I_PROFILE in reports:
            from credgraph.graph.sources.validation_profiles import ANNEX_I_ELEMENTS

            verdict = annex_i.judge(reports[ANNEX_I_PROFILE], item.check_triples, ANNEX_I_ELEMENTS)
        outcomes.append(ValidationOutcome(doc.name, problems, reports, item.forbidden, item.result.seal, verdict))
    return outcomes


# -- catalogue files ---------------------------------------------------------------


_PUBLISHER = ox.NamedNode(ns.DC + "publisher")


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
    storable = _validate_many([parsed.triples], "storable-specification")[0]
    if not storable.conforms:
        result.problems += [f"{name}: not storable: {v}" for v in _violations(storable)] or [f"{name}: not storable"]
        result.status = "rejected"
        return result
    annex = _validate_many([parsed.triples], "annex-i-catalogue")[0]
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
