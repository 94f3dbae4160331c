"""IRIs the project uses everywhere: vocabularies, named-graph conventions."""

from __future__ import annotations

from pyoxigraph import NamedNode

ELM = "http://data.europa.eu/snb/model/elm/"
ELM_33 = "http://data.europa.eu/snb/model/ontology/"
CRED = "https://www.w3.org/2018/credentials#"
DC = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
PROV = "http://www.w3.org/ns/prov#"
ADMS = "http://www.w3.org/ns/adms#"
ROV = "http://www.w3.org/ns/regorg#"
ESCO = "http://data.europa.eu/esco/model#"
ESCO_SKILL = "http://data.europa.eu/esco/skill/"
SNB = "http://data.europa.eu/snb/"
# credgraph's own terms, for what ELM lacks (see vocabularies/credgraph.ttl).
CG = "https://w3id.org/credgraph/ns#"
# IRIs credgraph mints for its own entities (specifications from catalogue
# files, issuance records, reports ...); dereferenceable under the API server.
CG_ID = "https://w3id.org/credgraph/id/"

# Named-graph conventions (ARCHITECTURE.md).
META_GRAPH = "urn:credgraph:meta"
VOCAB_GRAPH = "urn:credgraph:vocab:"
SOURCE_GRAPH = "urn:credgraph:source:"
PRIVATE_GRAPH = "urn:credgraph:private:"
QUARANTINE_GRAPH = "urn:credgraph:quarantine:"


def vocab_graph(name: str) -> str:
    """The named graph holding the shipped or imported vocabulary ``name``."""
    return VOCAB_GRAPH + name


def source_graph(source_id: str) -> str:
    """The named graph holding the public part of one imported document."""
    return SOURCE_GRAPH + source_id


def private_graph(source_id: str) -> str:
    """The named graph holding the personal data of one imported document."""
    return PRIVATE_GRAPH + source_id


def quarantine_graph(source_id: str) -> str:
    """The named graph holding a rejected document kept with its report."""
    return QUARANTINE_GRAPH + source_id


def iri(value: str) -> NamedNode:
    """Shorthand for a pyoxigraph NamedNode."""
    return NamedNode(value)
