"""The ledger: the enrollment event log and the projections built from it.

models · events (schemas, validation, upcasting, the aggregate fold, the 834 mapping; no
database) · services (append/read, snapshots, projections, replay, reversal, the 834 handler)
· selectors · reports · admin · tasks.
"""
