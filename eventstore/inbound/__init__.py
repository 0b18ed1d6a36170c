"""Inbound: every received file becomes a batch, is validated, acknowledged and routed.

models (batches, headers) · storage (raw copies) · hooks (the outcome sink and the handler
registry other rooms fill) · services (ingest, reprocess, inbox) · selectors · admin · tasks.
"""
