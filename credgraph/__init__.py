"""credgraph: a knowledge graph and catalogue service for European digital micro-credentials."""

__version__ = "0.1.0"
