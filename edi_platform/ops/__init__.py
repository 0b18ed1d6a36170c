"""Project-level operations: move an installation to PostgreSQL, back it up, restore it.

This package sits just above the house kit (``edi_platform.core``) and below every domain
app: it addresses the other apps only generically (``django.apps.apps.get_models()``, the
migration graph, table metadata) and learns what must hold in their data through the
invariant registry (:mod:`edi_platform.core.invariants`) that those apps fill from ``ready()``.
"""
