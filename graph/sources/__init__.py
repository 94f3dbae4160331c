"""The sources room: everything that reads what issuers send, before the store sees it.

Readers per format (``jsonld`` + ``jsonld_templates``, ``edc``, ``badges``,
``catalogue_csv``, ``esco``, ``vocab``), seals (``seal``), the privacy split
(``privacy``, ``rekey``), validation against the model (``validation``, its memo,
``annex_i``, ``datatypes``, ``memo_check``), and ``ingest``, the pipeline that runs a
batch of documents through them into the stores.
"""
