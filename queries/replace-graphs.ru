# name: replace-graphs
# title: Swap staged graphs in
# description: Replaces each target graph with the content of its staging graph, and its provenance in urn:credgraph:meta, in one transaction; then empties the staging graphs.
# param: target  the named graph to replace
# param: staging  the scratch graph holding its new content
# param: stagingMeta  the scratch graph holding the new provenance of every target
# example: no
DELETE { GRAPH ?target { ?s ?p ?o } } WHERE { GRAPH ?target { ?s ?p ?o } } ;
INSERT { GRAPH ?target { ?s ?p ?o } } WHERE { GRAPH ?staging { ?s ?p ?o } } ;
DELETE { GRAPH <urn:credgraph:meta> { ?target ?mp ?mo } } WHERE { GRAPH <urn:credgraph:meta> { ?target ?mp ?mo } } ;
INSERT { GRAPH <urn:credgraph:meta> { ?target ?mp ?mo } } WHERE { GRAPH ?stagingMeta { ?target ?mp ?mo } } ;
DELETE { GRAPH ?staging { ?s ?p ?o } } WHERE { GRAPH ?staging { ?s ?p ?o } } ;
DELETE { GRAPH ?stagingMeta { ?s ?p ?o } } WHERE { GRAPH ?stagingMeta { ?s ?p ?o } }
