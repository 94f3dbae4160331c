"""credgraph.graph: the core, in rooms that follow the data flow.

sources -> store -> services (and issuing, which turns the catalogue into credentials
that come back in as a source):

- ``sources``: readers of each format, seals, the privacy split, validation, ingest.
- ``store``: the store interface and its backends (embedded Oxigraph, remote SPARQL 1.1).
- ``services``: catalogue, stacking, equivalence, recognition, statistics.
- ``issuing``: credentials built and sealed from the catalogue.
- ``namespaces`` (IRIs used everywhere), ``keyed_names`` (names and hashes under the
  instance secret) and ``workspace`` (settings + opened stores).

Services speak SPARQL only (named queries from ``credgraph.queries``) so that every
backend gives the same answers.
"""
