"""The services room: answers computed from the store, as plain data.

``catalogue`` (search with facets, details; with ``catalogue_results``, ``catalogue_naming``,
``catalogue_records``, ``catalogue_reading``), ``specifications`` (the facts services
compare), ``stacking`` (with ``stacking_rules``, ``stacking_evaluation``), ``equivalence``,
``recognition`` (comparability reports; with ``recognition_policy``,
``recognition_assessment``), ``issuance_stats`` (counts for researchers; with
``completions_reading``, ``completions_kept``) and ``loq_export`` (the catalogue as Europass
LOQ data). The API, CLI and site only render what these return.
"""
