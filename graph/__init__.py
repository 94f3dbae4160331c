"""credgraph.graph: the core. Store backends, ingest, validation and services.

Data flows one way: sources -> ingest -> store -> services. Services speak
SPARQL only (named queries from ``credgraph.queries``) so that every backend
gives the same answers.
"""
