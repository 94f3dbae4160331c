"""Demo data outside the core: a deterministic generator of fictional providers,
catalogues, issued credentials and recognition decisions (``generator``, with
``topics``, ``catalogue``, ``learners``, ``credentials`` and ``rules``), used by
``credgraph demo``, the tests and the benchmarks.
"""
