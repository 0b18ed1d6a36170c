"""Eligibility: every accepted 270 answered with a 271 from the live enrollment projections.

The 271 responder (``outbound/responders/r271.py``) declares the response type; this package
does the work, one concern a module:

* :mod:`.codes` — the code tables, as data: AAA reject reasons and follow-up actions per
  loop, 834 insurance lines (HD03) → service types (EB03), coverage levels (HD05 → EB02),
  insurance types (EB04), relationships;
* :mod:`.inquiry` — reading a 270 set: the information source, receivers, subscribers and
  dependents with their eligibility/benefit inquiries, streamed one subscriber at a time;
* :mod:`.matching` — the partner's policy and the match rule (who is asked about, and the
  AAA code when we cannot answer);
* :mod:`.response` — the 271 segments of one answered subscriber (pure);
* :mod:`.services` — the handler's work: parse, look up in bulk (ledger selectors), match,
  build, stage the 271 outcome and record every inquiry;
* :mod:`.models`, :mod:`.selectors`, :mod:`.admin`, :mod:`.reports` — the inquiry record,
  per-partner policies, what operators see.
"""
