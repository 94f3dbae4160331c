# name: api-drop-staging
# title: Remove left-over staging graphs
# description: Deletes the content of every urn:credgraph:staging:* graph (left behind only if a process died in the middle of a write). Run by the API server at start on a store it owns.
# example: no
DELETE { GRAPH ?g { ?s ?p ?o } }
WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER(STRSTARTS(STR(?g), "urn:credgraph:staging:"))
}
