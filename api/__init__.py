"""credgraph.api: the FastAPI application (SPARQL endpoint, REST, linked data)."""
