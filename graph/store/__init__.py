"""The store room: where statements are kept, and the one interface callers use.

``interface`` is the contract (``open_store``, ``Store``, ``Provenance``); ``embedded``
(pyoxigraph in this process) and ``remote`` (any SPARQL 1.1 Protocol server) implement
it, and ``learner_view`` puts the public and research stores behind it for the services
that count learners. ``binding``, ``update_data`` and ``sparql_text`` turn named queries
and graph content into what a backend runs; ``results`` renders answers; ``consistency``
keeps the stores whole across a crash; ``offer_copy`` and ``byte_stream`` are
backend-side helpers. Nothing outside this package touches a backend's native objects.
"""
