"""Control-number store: ISA13 / GS06 / ST02 counters, audit, gaps, reset and rollover."""
