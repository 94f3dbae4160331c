"""The issuing room: sealed European Digital Credentials made from the catalogue.

``learners_csv`` reads the learners file, ``credential`` builds one credential from a
specification and a learner, ``sealing`` seals it (JAdES, joserfc), ``batch`` runs one
issuing run and records what it issued through the ordinary import.
"""
