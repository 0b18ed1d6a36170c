"""Remittance and claim status: the 835 from the payer's adjudication results, and the 277
answer to a 276 inquiry, both from the claim registry (``outbound/claims/``).

The responders (``outbound/responders/r835.py``, ``r277.py``) declare the response types;
this package does the work, one concern a module:

* :mod:`.parsing` — the adjudication results format (JSON, and the CSV pair), read (pure);
* :mod:`.balancing` — X221A1 balancing and the CARC/RARC/group code checks (pure);
* :mod:`.response` — the 835 of one payment: content, then segments (pure);
* :mod:`.services` — the import: check everything, then write it all in one transaction;
* :mod:`.inquiry`, :mod:`.status` — 276 inquiries read, matched and answered with a 277;
* :mod:`.models`, :mod:`.selectors`, :mod:`.admin`, :mod:`.reports` — imports, payments,
  adjudications, the claim journey's 835 and 277 steps, reports.
"""
