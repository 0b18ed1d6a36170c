"""Claims: every claim of every 837 (P, I, D) in one registry, answered with a 277CA.

The 277CA responder (``outbound/responders/r277ca.py``) declares the response type and
registers the 837 bulk handler; this package does the work, one concern a module:

* :mod:`.reading` — the claims of one 837 set from its text (pure);
* :mod:`.codes` — the 277CA's code lists, as data (507 categories, 508 status codes);
* :mod:`.edits` — the edits table: code, description, STC, switchable per partner, check;
* :mod:`.verdicts` — the facts the edits read, looked up for a whole chunk, and the verdicts;
* :mod:`.registry` — our claim control numbers and the claim rows, written set-based;
* :mod:`.response` — the 277CA of one set: its content, then its segments (pure);
* :mod:`.services` — the handler's work: read, judge, number, stage, record;
* :mod:`.models`, :mod:`.selectors`, :mod:`.admin`, :mod:`.reports` — the registry, per
  partner edit settings, the claim journey, search, the SLA board, reports.

It lives in ``outbound`` (the top app), next to eligibility, because a claim's verdict is
an answer we owe: it needs the member projections and inbound's sets below it, and the
277CA it stages is an outbound outcome; the 835 and 276/277 responders to come read and
update the same registry from beside it.
"""
