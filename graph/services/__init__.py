"""The services room: answers computed from the store, as plain data.

``catalogue`` (search with facets, details), ``specifications`` (the facts services
compare), ``stacking``, ``equivalence``, ``recognition`` (comparability reports),
``issuance_stats`` and ``learner_view`` (counts for researchers), ``readings`` (what a
credential states, read where validation finds it) and ``loq_export`` (the catalogue
as Europass LOQ data). The API, CLI and site only render what these return.
"""
