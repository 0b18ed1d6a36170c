"""The event store: two rooms under one Django app (one app label, one migration history).

* :mod:`eventstore.inbound` — every received file: batches, transaction-set headers, the
  ingest service, routing of accepted sets to handlers, reprocessing, the inbox.
* :mod:`eventstore.ledger` — the enrollment event log: append-only domain events, schemas,
  upcasting, the aggregate fold, snapshots, projections (Member, Enrollment), replay,
  reversal, reports.

Dependencies point one way: ``inbound`` ← ``ledger`` (the ledger registers its 834 handler
with inbound's hook registry; inbound never imports the ledger).
"""
