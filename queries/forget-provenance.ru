# name: forget-provenance
# title: Forget the provenance of graphs
# description: Deletes what urn:credgraph:meta records about each target graph (the first step of replacing or dropping it).
# param: target  the named graph
# example: no
DELETE { GRAPH <urn:credgraph:meta> { ?target ?p ?o } }
WHERE { GRAPH <urn:credgraph:meta> { ?target ?p ?o } }
