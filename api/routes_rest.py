"""REST resources under /api/v1/: each route parses, calls one service, renders its dataclass as JSON.

Services live in :mod:`credgraph.graph` (catalogue, stacking, equivalence,
recognition, issuance statistics, validation, ingest); no computation happens
here. Reads use the public store; only ``/credentials/{id}/private`` reads the
private store, for agency and admin keys, and is audited first.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from credgraph import queries
from credgraph.api import formats
from credgraph.api.access import Caller, require
from credgraph.api.documents import DocumentProblem, document_bytes, read_document
from credgraph.api.problems import Problem, problem_response
from credgraph.graph import namespaces as ns

router = APIRouter()
JSON_TYPES = {"application/json", "application/ld+json"}
SOURCE_ID = re.compile(r"[a-z]+-[0-9a-f]{16}")


# -- helpers -------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A service result as JSON-ready data (its ``to_dict`` if it has one)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "to_json"):
        return value.to_json()
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, set):
        return sorted(plain(v) for v in value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def store(request: Request):
    return request.app.state.store


def _iri(given: str, kind: str) -> str:
    """A full IRI from an id: an absolute IRI as is, else the slug of a minted ``kind`` IRI."""
    if given.startswith(("http://", "https://", "urn:")):
        try:
            ox.NamedNode(given)
        except ValueError as exc:
            raise Problem(400, f"{given!r} is not a valid IRI", type_="invalid-id") from exc
        return given
    if kind == "skill":
        return ns.ESCO_SKILL + given
    return f"{ns.CG_ID}{kind}/{given}"


def _date(text: str | None, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Problem(400, f"{what} {text!r} is not a date (YYYY-MM-DD)", type_="invalid-date") from exc


async def _service(func, *args, **kwargs):
    """Run a service in a worker thread; its ValueError (bad input) becomes a 400 problem."""
    try:
        return await run_in_threadpool(func, *args, **kwargs)
    except (DocumentProblem,) as exc:
        raise Problem(422, str(exc), type_="unreadable-document") from exc
    except ValueError as exc:
        message = str(exc)
        if message.startswith("unknown specification or credential"):
            raise Problem(404, message, type_="unknown-id") from exc
        raise Problem(400, message, type_="invalid-request") from exc


async def anonymous_document_share(request: Request):
    """Anonymous /validate and /verify: a bounded number at once, one per address (503 ``busy`` beyond).

    Reading and checking a document costs far more than a catalogue lookup; keyed
    callers are not limited here.
    """
    from credgraph.api.access import ANONYMOUS, caller
    from credgraph.api.fairness import Busy

    if caller(request).role != ANONYMOUS:
        yield
        return
    address = request.client.host if request.client else "unknown"
    try:
        async with request.app.state.document_shares.slot("address:" + address, keyed=False):
            yield
    except Busy as busy:
        if busy.own:  # this address's own document is still being checked: its excess (RFC 6585)
            raise Problem(429, f"one document at a time for an anonymous caller ({busy.reason}); "
                          "send the next when this one is answered, or use an API key", type_="too-many-requests",
                          headers={"Retry-After": str(busy.retry_after)}) from None
        raise Problem(503, f"too many documents are being checked for anonymous callers ({busy.reason}); "
                      "try again shortly, or use an API key", type_="busy", headers={"Retry-After": "2"}) from None


async def _document_body(request: Request) -> bytes:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in ("application/xml", "text/xml"):
        raise Problem(415, f"XML documents (EDC XML, ELM v2) are not supported: send the credential's JSON-LD as "
                      f"application/json or application/ld+json; got {media}", type_="unsupported-media-type")
    if media not in JSON_TYPES:
        raise Problem(415, f"send the document as application/json or application/ld+json; got {media or 'no Content-Type'}",
                      type_="unsupported-media-type")
    body = await request.body()
    if not body.strip():
        raise Problem(400, "the request body is empty; send one credential document", type_="empty-body")
    return body


def _name(request: Request, default: str) -> str:
    name = request.query_params.get("name") or default
    if not re.fullmatch(r"[\w.-]{1,120}", name):
        raise Problem(400, f"name {name!r}: use letters, digits, '.', '_' and '-' only", type_="invalid-name")
    return name


# -- catalogue -----------------------------------------------------------------

FACET_HELP = "facet keys or IRIs; repeat the parameter for alternatives (OR)"


@router.get("/catalogue", tags=["Catalogue"], summary="Search the catalogue, with facet counts and paging")
async def catalogue_search(
    request: Request,
    q: Annotated[str | None, Query(description="words that must all occur (title, description, outcomes, skills, provider)")] = None,
    lang: Annotated[str, Query(pattern="^(en|de|fr)$", description="language of texts and matching")] = "en",
    eqf: Annotated[list[str], Query(description="EQF level (1-8); " + FACET_HELP)] = [],
    ects: Annotated[list[str], Query(description="ECTS range key; " + FACET_HELP)] = [],
    field: Annotated[list[str], Query(description="ISCED-F field code; " + FACET_HELP)] = [],
    mode: Annotated[list[str], Query(description="mode of learning; " + FACET_HELP)] = [],
    language: Annotated[list[str], Query(description="language of instruction (NAL code); " + FACET_HELP)] = [],
    country: Annotated[list[str], Query(description="country (NAL code, e.g. DEU); " + FACET_HELP)] = [],
    provider: Annotated[list[str], Query(description="provider slug or IRI; " + FACET_HELP)] = [],
    skill: Annotated[list[str], Query(description="ESCO skill id or IRI; " + FACET_HELP)] = [],
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
):
    """Full-text search in en/de/fr and facets (EQF, ECTS range, ISCED-F field, mode, language, country, provider, ESCO skill)."""
    from credgraph.graph.services import catalogue

    filters = {"eqf": eqf, "ects": ects, "field": field, "mode": mode, "language": language, "country": country,
               "provider": provider, "skill": skill}
    filters = {k: v for k, v in filters.items() if v}
    result = await _service(catalogue.search, store(request), q, lang, filters, page, page_size)
    return plain(result)


@router.get("/specifications/{id:path}", tags=["Catalogue"], summary="One specification with every Annex I element")
async def get_specification(id: str, request: Request, lang: Annotated[str, Query(pattern="^(en|de|fr)$")] = "en"):
    """``id``: the slug of ``https://w3id.org/credgraph/id/spec/<slug>`` or a full IRI.

    ``in_catalogue`` says whether a catalogue describes it; one known only from
    issued credentials answers with the facts read from them.
    """
    from credgraph.graph.services import catalogue

    from credgraph.graph.services.specifications import issued_specification

    iri = _iri(id, "spec")
    detail = await _service(catalogue.specification, store(request), iri, lang)
    if detail is not None:
        return dict(plain(detail), in_catalogue=True)
    # A specification awarded by imported credentials but described by no catalogue (it resolves at /id/spec/ too).
    issued = await _service(issued_specification, store(request), iri)
    if issued is None:
        raise Problem(404, f"no specification {iri} in the catalogue or in issued credentials", type_="unknown-id")
    return issued


@router.get("/providers/{id:path}", tags=["Catalogue"], summary="One provider and what it offers")
async def get_provider(id: str, request: Request, lang: Annotated[str, Query(pattern="^(en|de|fr)$")] = "en"):
    """``id``: the slug of ``https://w3id.org/credgraph/id/org/<slug>`` or a full IRI."""
    from credgraph.graph.services import catalogue

    iri = _iri(id, "org")
    detail = await _service(catalogue.provider, store(request), iri, lang)
    if detail is None:
        raise Problem(404, f"no provider {iri} in the catalogue", type_="unknown-id")
    return plain(detail)


@router.get("/skills/{id:path}", tags=["Catalogue"], summary="An ESCO skill and the specifications that certify it")
async def get_skill(id: str, request: Request, lang: Annotated[str, Query(pattern="^(en|de|fr)$")] = "en"):
    """``id``: the ESCO skill UUID or its full IRI."""
    from credgraph.graph.services import catalogue

    iri = _iri(id, "skill")
    detail = await _service(catalogue.skill, store(request), iri, lang)
    if detail is None:
        raise Problem(404, f"no skill {iri} is known", type_="unknown-id")
    return plain(detail)


# -- stacking, equivalence, recognition ---------------------------------------------


class StackingRequest(BaseModel):
    """Credentials a learner holds: issuance record IRIs, specification IRIs, or credential documents."""

    credentials: list[str | dict] = Field(min_length=1, max_length=500)
    at: str | None = Field(None, description="evaluate as of this date (YYYY-MM-DD); default today")
    closest: int = Field(5, ge=0, le=50, description="how many unmet targets to explain")


def _held(store_, items: list[str | dict]):
    """HeldCredential for each id or document (documents read like the ingest reads them)."""
    from credgraph.graph.services.specifications import resolve_credentials
    from credgraph.graph.services.stacking_rules import HeldCredential, parse_date

    held = []
    ids = [i for i in items if isinstance(i, str)]
    resolved = resolve_credentials(store_, [i for i in ids if i.startswith(ns.CG_ID + "issuance/")])
    for index, item in enumerate(items):
        if isinstance(item, dict):
            doc = read_document(document_bytes(item), f"credentials[{index}]")
            if not doc.specifications:
                raise DocumentProblem(f"credentials[{index}]: the credential names no specification (elm:specifiedBy)")
            held += [HeldCredential(spec, parse_date(doc.issued)) for spec in doc.specifications]
        elif item in resolved:
            ref = resolved[item]
            held.append(HeldCredential(ref.spec, parse_date(ref.issued), item))
        elif item.startswith(ns.CG_ID + "issuance/"):
            raise ValueError(f"unknown specification or credential {item} (or a record that names no specification)")
        else:
            held.append(HeldCredential(_iri(item, "spec")))
    return held


@router.post("/stacking/evaluate", tags=["Stacking"], summary="What a set of credentials stacks into, and what is missing")
async def stacking_evaluate(body: StackingRequest, request: Request):
    """Evaluate every stacking rule against the credentials given."""
    from credgraph.graph.services import stacking

    at = _date(body.at, "at")

    def run():
        return stacking.evaluate(store(request), _held(store(request), body.credentials), at=at, closest=body.closest)

    return plain(await _service(run))


@router.get("/stacking/targets", tags=["Stacking"], summary="What a specification stacks into")
async def stacking_targets(request: Request, specification: Annotated[str, Query(description="slug or IRI")]):
    """The larger credentials ``specification`` counts towards, with their rules."""
    from credgraph.graph.services import stacking

    return plain(await _service(stacking.stacks_into, store(request), _iri(specification, "spec")))


@router.get("/equivalence", tags=["Equivalence"], summary="Recorded equivalents and the most similar specifications")
async def equivalence(request: Request, specification: Annotated[str, Query(description="slug or IRI")],
                      top: Annotated[int, Query(ge=1, le=50)] = 10):
    """Recorded equivalence (closure, with the chain of links) and computed similarity (explained per factor)."""
    from credgraph.graph.services import equivalence as eq

    iri = _iri(specification, "spec")

    def run():
        return {"recorded": plain(eq.recorded_equivalents(store(request), iri)),
                "similar": plain(eq.most_similar(store(request), iri, top=top))}

    return await _service(run)


class CompareRequest(BaseModel):
    """Two credentials or specifications (ids, or credential documents), and an optional policy."""

    subject: str | dict
    reference: str | dict
    policy: str | None = Field(None, description="IRI of an agency policy stored in the graph; default policy otherwise")


def _comparand(store_, item: str | dict, what: str) -> str:
    if isinstance(item, dict):
        doc = read_document(document_bytes(item), what)
        if len(doc.specifications) != 1:
            raise DocumentProblem(f"{what}: the credential names {len(doc.specifications)} specifications; "
                                  "compare needs exactly one")
        return doc.specifications[0]
    return item if item.startswith(ns.CG_ID + "issuance/") else _iri(item, "spec")


def _report(store_, body: CompareRequest):
    from credgraph.graph.services import recognition
    from credgraph.graph.services.recognition_policy import policy_from_store

    policy = policy_from_store(store_, body.policy) if body.policy else None
    return recognition.compare(store_, _comparand(store_, body.subject, "subject"),
                               _comparand(store_, body.reference, "reference"), policy)


@router.post("/recognition/compare", tags=["Recognition"], summary="Comparability report, element by element")
async def recognition_compare(body: CompareRequest, request: Request):
    """Level, workload, learning outcomes, quality and profile compared under the policy; with precedents."""
    return plain(await _service(_report, store(request), body))


class DecisionRequest(CompareRequest):
    """A comparison to record as a recognition decision."""

    recognised: bool | None = Field(None, description="default: recognised unless a substantial difference")
    note: str = Field("", max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                      description="free text; control characters other than tab and line breaks are refused")


@router.post("/recognition/decisions", tags=["Recognition"], status_code=201,
             summary="Record a recognition decision (agency key)")
async def recognition_decide(body: DecisionRequest, request: Request, who: Caller = Depends(require("agency", "admin"))):
    """Compare, then record the report and the decision in a new source graph; later comparisons cite it."""
    from credgraph.graph.services import recognition

    def run():
        report = _report(store(request), body)
        return recognition.record_decision(store(request), report, decided_by=who.name, recognised=body.recognised,
                                           note=body.note)

    recorded = plain(await _service(run))
    location = next((v for v in (recorded.values() if isinstance(recorded, dict) else [])
                     if isinstance(v, str) and v.startswith(ns.CG_ID + "decision/")), None)
    headers = {"Location": "/id/" + location[len(ns.CG_ID):]} if location else {}
    return JSONResponse(recorded, status_code=201, headers=headers)


# -- statistics ------------------------------------------------------------------------


@router.get("/stats/issuance", tags=["Statistics"], summary="Issuance counts with small-cell suppression")
async def stats_issuance(request: Request,
                         by: Annotated[str, Query(description="eqf, country, field, skill, provider, month, learners or completions")],
                         at: Annotated[str | None, Query(description="as of this date (YYYY-MM-DD)")] = None):
    """Counts over the pseudonymised issuance records; cells below 5 are suppressed."""
    from credgraph.graph.services import issuance_stats

    when = _date(at, "at")
    kept = issuance_stats.completions_file(request.app.state.workspace.settings)
    learners = request.app.state.workspace.learners  # learner counts read the research store (docs/privacy.md)
    return plain(await _service(issuance_stats.issuance_stats, learners, by, at=when, kept=kept))


# -- documents: validate, verify, ingest ---------------------------------------------------


@router.post("/validate", tags=["Documents"], summary="Validate a credential document (nothing is stored)")
async def validate(request: Request, _share: Annotated[None, Depends(anonymous_document_share)],
                   profile: Annotated[list[str], Query(description="annex-i-credential, edc-generic, storable-credential ...")] = ["annex-i-credential"]):
    """Parse the document as the ingest would and return one SHACL report per profile."""
    from credgraph.graph.sources.document_reading import SourceDocument
    from credgraph.graph.sources.ingest import validate_documents
    from credgraph.graph.sources.validation_profiles import PROFILES

    unknown = [p for p in profile if p not in PROFILES]
    if unknown:
        raise Problem(400, f"unknown profile {unknown[0]!r}; profiles: {', '.join(sorted(PROFILES))}",
                      type_="unknown-profile")
    data = await _document_body(request)
    name = _name(request, "document.json")
    outcome = (await _service(validate_documents, request.app.state.workspace, [SourceDocument(name, data, None)],
                              profile))[0]
    return {
        "document": name,
        "readable": not outcome.problems or bool(outcome.reports),
        "problems": outcome.problems,
        "reports": {p: _scrubbed_report(outcome, r) for p, r in outcome.reports.items()},
        "annex_i": _scrubbed_verdict(outcome),
    }


def _scrubbed_verdict(outcome) -> dict | None:
    """The Annex I verdict over the credential and its main claims, and per claim (docs/validation.md)."""
    if outcome.annex_i is None:
        return None
    return json.loads(outcome.scrub(json.dumps(plain(outcome.annex_i), ensure_ascii=False)))


def _scrubbed_report(outcome, report) -> dict:
    data = plain(report)
    return json.loads(outcome.scrub(json.dumps(data, ensure_ascii=False)))


@router.post("/verify", tags=["Documents"], summary="Verify a credential: parsed, validated, seal checked, compared with the catalogue")
async def verify(request: Request, _share: Annotated[None, Depends(anonymous_document_share)]):
    """Is this credential genuine, well-formed, and does it describe what the catalogue says it awards?"""
    from credgraph.graph.services import specifications as specs
    from credgraph.graph.sources.document_reading import SourceDocument
    from credgraph.graph.sources.ingest import validate_documents
    from credgraph.graph.store.interface import open_store

    data = await _document_body(request)
    name = _name(request, "credential.json")
    doc = await _service(read_document, data, name)
    outcome = (await _service(validate_documents, request.app.state.workspace, [SourceDocument(name, data, None)],
                              ["annex-i-credential"]))[0]

    def compare_with_catalogue():
        claimed = open_store("memory:")
        claimed.load_graph("urn:credgraph:verify", doc.public,
                           _provenance(name))
        mine = specs.load_specs(claimed, doc.specifications)
        theirs = specs.load_specs(store(request), doc.specifications)
        return [_spec_comparison(mine[s], theirs[s]) for s in doc.specifications]

    comparisons = await _service(compare_with_catalogue)
    seal = plain(doc.seal) if doc.seal else {"status": "unsealed", "reason": "the document carries no seal"}
    verdicts = {
        "readable": not outcome.problems,
        "seal": seal["status"],
        # Judged over the credential and its main claims: activities beside an achievement are parts.
        "annex_i": outcome.annex_i.conforms if outcome.annex_i is not None else False,
        "matches_catalogue": bool(comparisons) and all(c["in_catalogue"] and not c["differences"] for c in comparisons),
    }
    return {
        "document": name,
        "verdicts": verdicts,
        "issued": doc.issued,
        "seal": seal,
        "problems": outcome.problems,
        "validation": {p: _scrubbed_report(outcome, r) for p, r in outcome.reports.items()},
        "annex_i": _scrubbed_verdict(outcome),
        "specifications": comparisons,
    }


def _provenance(name: str):
    from credgraph.graph.store.interface import Provenance

    return Provenance("source", name, "sha256:verify")


def _spec_comparison(claimed, catalogued) -> dict:
    differences = []
    if catalogued.found:
        for fieldname in ("eqf", "ects", "hours"):
            a, b = getattr(claimed, fieldname), getattr(catalogued, fieldname)
            if a is not None and b is not None and a != b:
                differences.append({"element": fieldname, "credential": a, "catalogue": b})
        for fieldname in ("skills", "providers"):
            a, b = getattr(claimed, fieldname), getattr(catalogued, fieldname)
            if a and b and a != b:
                differences.append({"element": fieldname, "only_in_credential": sorted(a - b),
                                    "only_in_catalogue": sorted(b - a)})
        title_a, title_b = claimed.titles.get("en") or claimed.title, catalogued.titles.get("en") or catalogued.title
        if claimed.titles and title_a != title_b:
            differences.append({"element": "title", "credential": title_a, "catalogue": title_b})
    return {"specification": claimed.iri, "in_catalogue": catalogued.found,
            "catalogue_title": catalogued.title if catalogued.found else None, "differences": differences}


@router.post("/credentials", tags=["Documents"], summary="Import one issued credential (issuer key)")
async def post_credential(request: Request, who: Caller = Depends(require("issuer", "admin"))):
    """Ingest one credential document: validated, split, written atomically (public record + private store)."""
    from credgraph.graph.sources.document_reading import SourceDocument
    from credgraph.graph.sources.ingest import ingest_documents

    data = await _document_body(request)
    name = _name(request, "credential.json")
    from credgraph.graph.sources.document_steps import IngestOptions

    options = IngestOptions(providers=who.may_write_for(), max_document_bytes=request.app.state.workspace.settings.max_document_bytes)
    summary = await _service(ingest_documents, request.app.state.workspace, [SourceDocument(name, data, None)], options)
    result = summary.documents[0]
    if result.forbidden:
        raise Problem(403, "; ".join(result.problems), type_="other-provider")
    body = {
        "document": name,
        "status": result.status,
        "source_id": result.source_id,
        "problems": result.problems,
        "compliance": plain(result.compliance) if result.compliance else None,
        "seal": plain(result.seal) if result.seal else None,
    }
    if result.status == "rejected":
        # RFC 9457: "status" is the HTTP status number; the import outcome is "outcome".
        members = {k: v for k, v in body.items() if k != "status"}
        return problem_response(422, "; ".join(result.problems) or "the document was rejected", request.url.path,
                                type_="document-rejected", title="Unprocessable Content", outcome=result.status,
                                **members)
    return JSONResponse(body, status_code=201 if result.status in ("imported", "replaced") else 200,
                        background=_refresh_stats(request, result.status))


def _refresh_stats(request: Request, status: str) -> BackgroundTask | None:
    """After a write, the kept stacking completions brought up to date once the response is sent."""
    if status not in ("imported", "replaced"):
        return None
    from credgraph.graph.services.issuance_stats import refresh_after_import

    return BackgroundTask(refresh_after_import, request.app.state.workspace)


@router.post("/catalogue", tags=["Documents"], summary="Import one catalogue CSV file (issuer key)")
async def post_catalogue(request: Request, who: Caller = Depends(require("issuer", "admin"))):
    """Ingest a catalogue spreadsheet (CSV); all or nothing, with problems by row and column."""
    from credgraph.graph.sources.catalogue_import import ingest_catalogue

    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in {"text/csv", "application/csv"}:
        raise Problem(415, f"send the catalogue as text/csv; got {media or 'no Content-Type'}",
                      type_="unsupported-media-type")
    data = await request.body()
    name = _name(request, "catalogue.csv")

    def run():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            return ingest_catalogue(request.app.state.workspace, path, providers=who.may_write_for())

    result = await _service(run)
    if result.forbidden:
        raise Problem(403, "; ".join(p.replace(str(Path(tempfile.gettempdir())), "") for p in result.problems),
                      type_="other-provider")
    body = plain(result)
    body["name"] = name
    if result.status == "rejected":
        body["problems"] = [p.replace(str(Path(tempfile.gettempdir())), "") for p in body.get("problems", [])]
        return JSONResponse({"type": "https://w3id.org/credgraph/problems/document-rejected",
                             "title": "Unprocessable Content", "status": 422,
                             "detail": "; ".join(body["problems"][:5]) or "the file was rejected", **body},
                            status_code=422, media_type="application/problem+json")
    return JSONResponse(body, status_code=201 if result.status in ("imported", "replaced") else 200,
                        background=_refresh_stats(request, result.status))


# -- private data (agency, admin; audited) -----------------------------------------------


@router.get("/credentials/{source_id}/private", tags=["Private data"],
            summary="The personal data of one imported credential (agency or admin key; audited)")
async def private_credential(
    source_id: str,
    request: Request,
    why: Annotated[str, Query(min_length=3, max_length=500, description="the purpose of this read (recorded)")],
    who: Caller = Depends(require("agency", "admin")),
):
    """Answer the private graph as JSON-LD or Turtle; the read is written to the audit log before anything is sent."""
    if not SOURCE_ID.fullmatch(source_id):
        raise Problem(400, f"{source_id!r} is not a source id (e.g. cred-0123456789abcdef)", type_="invalid-id")
    fmt = formats.negotiate(request.headers.get("accept"), formats.GRAPH_TYPES, formats.JSONLD)
    if fmt is None:
        raise Problem(406, "private graphs are available as JSON-LD, Turtle, N-Triples or RDF/XML",
                      type_="not-acceptable")
    graph = ns.private_graph(source_id)
    private = request.app.state.workspace.private
    triples = await run_in_threadpool(private.construct, queries.load("api-private-graph"),
                                      {"graph": ox.NamedNode(graph)})
    if not triples:
        raise Problem(404, f"no private data for {source_id}", type_="unknown-id")
    request.app.state.audit.record(who.name, who.role, f"GET {request.url.path}", why)
    return Response(formats.write_triples(triples, fmt), media_type=formats.CONTENT_TYPES[fmt],
                    headers={"Cache-Control": "no-store"})
