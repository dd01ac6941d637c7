"""Custodian files in: one pipeline, one small module per format.

read (``reading``: encoding, delimiter, hash) → rows (``formats.<name>``: the file's layout
into canonical columns) → validate and classify (``preview``: new, unchanged, changed, error;
the same rules as the site and the API, ``clients.services``) → preview (ImportRow) → commit
(``commit``: all or nothing, idempotent) → reconcile (``reconcile``: the likely reason for each
difference and the advisor's choice). Adding a custodian means adding a module to ``formats``
and its name to ``formats.REGISTRY``.
"""
