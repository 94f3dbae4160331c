"""The sources room: everything that reads what issuers send, before the store sees it.

Readers per format (``jsonld`` with ``jsonld_contexts`` and ``jsonld_templates``, ``edc``,
``badges``, ``catalogue_csv`` with ``catalogue_terms`` and ``catalogue_cells``, ``esco`` with
``esco_export``, ``vocab``), what a credential states on its claims (``readings``), seals
(``seal``), the privacy split (``privacy``, ``rekey``), validation against the model
(``validation`` with ``validation_profiles``, ``validation_shacl`` and its memo,
``annex_i``, ``datatypes``, ``memo_check``), and ``ingest``, the pipeline that runs a
batch of documents through them into the stores.
"""
