"""The steps that decide about one document on its own: read, open the seal, JSON-LD to RDF, split, screen.

:func:`prepare_document` takes a :class:`~credgraph.graph.sources.document_reading.SourceDocument`
and returns either a :class:`DocumentResult` (rejected: why) or a
:class:`PreparedDocument`: the document split into its private graph and its
public description (:mod:`credgraph.graph.sources.edc`, :mod:`credgraph.graph.sources.badges`),
the statements the SHACL profiles will see, the EC concepts it cites, and its
keyed names. The checks over a whole chunk come next
(:mod:`credgraph.graph.sources.chunk_checks`), then the write
(:mod:`credgraph.graph.sources.chunk_writing`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from credgraph.graph import namespaces as ns
from credgraph.graph.sources import annex_i, badges, edc, jsonld, privacy, seal
from credgraph.graph.sources.document_reading import SourceDocument, upload_form_credential, xml_problem
from credgraph.graph.sources.edc import CredentialError, CredentialSplit
from credgraph.graph.sources.datatypes import literal_problems
from credgraph.graph.sources.jsonld_contexts import DocumentError
from credgraph.graph.sources.jsonld_templates import Statements, is_token
from credgraph.graph.store.interface import content_hash
from credgraph.graph.keyed_names import keyed_hash, keyed_id

_SNB_CONCEPT = re.compile(r"^http://data\.europa\.eu/snb/([a-z][a-z0-9-]*)/([^/#]+)$")
_SCHEME_CODE = "25831c2"
RDF_TYPE = ox.NamedNode(ns.RDF + "type")


@dataclass(frozen=True)
class IngestOptions:
    """How to import. ``kind``: ``credential`` (EDC, sealed EDC or badge) or ``badge`` (badges only)."""

    kind: str = "credential"
    quarantine: bool = False
    require: frozenset[str] = frozenset()  # {"annex-i"}: non-compliant documents are rejected
    trust_anchors: Path | None = None
    chunk_size: int = 200  # documents per validator call
    # ... or fewer: a chunk holds at most this many document bytes (two chunks are held at once: one is
    # written while the next is read, see ingest.py)
    chunk_bytes: int = 32 * 1024 * 1024
    write_chunk: int = 50  # documents per store write (see chunk_writing.write_chunk)
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
class PreparedDocument:
    """A document that passed the per-document steps, waiting for the batch checks and the write."""

    result: DocumentResult
    content_hash: str
    split: CredentialSplit
    check_triples: list[ox.Triple]  # what the SHACL profiles see
    forbidden: set
    concepts: list[tuple[ox.NamedNode, ox.NamedNode]]
    private_source: str
    public_hash: str  # the content hash as the public and research stores record it (keyed)


class StageTimer:
    """Seconds spent per stage of an import (summed over documents and chunks)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()  # the import's reader and writer threads both add to it

    def add(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + now - started
        return now


def prepare_document(doc: SourceDocument, options: IngestOptions, key: bytes, anchors, timer: StageTimer) -> PreparedDocument | DocumentResult:
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
    prepared = PreparedDocument(result, digest, split, check, forbidden, concept_pairs(rdf), name, keyed_hash(key, digest))
    timer.add("checks", started)
    return prepared


def _source_id(key: bytes, kind: str, credential_id: str | None, data: bytes) -> str:
    """The document's name in the stores: keyed with the instance secret (docs/privacy.md), never computable from it."""
    return keyed_id(key, kind, credential_id if credential_id else content_hash(data))


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


def _screen(rdf, split: CredentialSplit) -> list[privacy.ScreeningHit]:
    """The learner's personal values found in the public text of ``split`` (names, e-mails, identifiers, birth dates)."""
    graph = privacy.Graph(rdf)
    persons = [t.object for t in graph.triples if t.predicate == _SUBJECT]
    return privacy.screen_public(split.public, privacy.personal_values(graph, persons))


_SUBJECT = ox.NamedNode(ns.CRED + "credentialSubject")


def concept_pairs(triples: Iterable[ox.Triple]) -> list[tuple[ox.NamedNode, ox.NamedNode]]:
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
