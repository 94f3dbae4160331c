# name: drop-graphs
# title: Drop named graphs
# description: Removes the content of each target graph and its provenance, in one transaction.
# param: target  the named graph to remove
# example: no
DELETE { GRAPH ?target { ?s ?p ?o } } WHERE { GRAPH ?target { ?s ?p ?o } } ;
DELETE { GRAPH <urn:credgraph:meta> { ?target ?mp ?mo } } WHERE { GRAPH <urn:credgraph:meta> { ?target ?mp ?mo } }
