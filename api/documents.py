"""Reading a credential document sent to the API, without storing it.

Uses the ingest's public steps (JSON, seal, JSON-LD, EDC split) so that the API
reads a document exactly as ``credgraph import`` would. The pseudonym key is a
throw-away one: nothing derived here is stored or shown.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pyoxigraph as ox

from credgraph.graph.sources import edc
from credgraph.graph.sources import document_reading
from credgraph.graph.sources import jsonld
from credgraph.graph.sources import seal
from credgraph.graph.sources.seal import SealVerification


@dataclass
class ReadDocument:
    """What a document claims: its specifications, issue date, seal, and its public triples."""

    specifications: list[str]
    issued: str | None
    seal: SealVerification | None
    public: list[ox.Triple]


class DocumentProblem(ValueError):
    """The document cannot be read; the message names the document and the problem."""


def document_bytes(document: object) -> bytes:
    """A document given inside a JSON request, as the bytes the ingest reads."""
    return json.dumps(document, ensure_ascii=False).encode()


def read_document(data: bytes, name: str) -> ReadDocument:
    """Parse (and unseal) one credential document; raises :class:`DocumentProblem`."""
    verification = None
    refused = document_reading.xml_problem(data, name)  # EDC XML (ELM v2): named, never "malformed JSON"
    if refused:
        raise DocumentProblem(refused)
    try:
        document = jsonld.decode_json(data, name)
        if seal.is_sealed(document):
            opened = seal.open_seal(document, name)
            verification = opened.verification
            document = jsonld.decode_json(opened.payload, f"{name} (sealed payload)")
        if not isinstance(document, dict):
            raise DocumentProblem(f"{name}: expected a JSON object (a credential), found {type(document).__name__}")
        rdf = jsonld.to_triples(document, name)
        split = edc.split_edc(rdf, name, os.urandom(32))
    except DocumentProblem:
        raise
    except (ValueError, seal.SealError) as exc:
        raise DocumentProblem(str(exc)) from exc
    specs = [getattr(s, "value", str(s)) for s in split.specifications]
    return ReadDocument(specs, split.issued, verification, split.public)
