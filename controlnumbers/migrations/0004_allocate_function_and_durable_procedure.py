"""PostgreSQL: allocation as a database function, and a procedure that releases the counter
row locks before the commit is flushed (see ``controlnumbers.services.allocation``).

* ``controlnumbers_allocate(...)`` — the all-or-nothing allocation of one or more counters of
  one partner: confirm the caller's cached partner scope, lock the counter rows in the given
  order, check max values, advance the counters, insert one audit row per number. Returns one
  row per counter (``out_ord`` = its position in the request) or no row at all. Called with
  SELECT inside a caller's transaction.
* ``controlnumbers_allocate_durable(...)`` — the same in autocommit, as two transactions: the
  allocation commits without waiting for its WAL flush (``synchronous_commit`` off for that
  transaction only), which releases the row locks at once; a second transaction writes one
  small WAL record (a transactional logical message) and commits with the session's own
  ``synchronous_commit``, which flushes the WAL up to and including the allocation. CALL
  returns only after that flush, so no caller ever holds numbers that a crash could undo, and
  the next allocation of the same counter does not wait for this one's fsync.

No-op on SQLite (the services take the portable ORM path there).
"""

from django.db import migrations

COUNTERS = "controlnumbers_controlnumbercounter"
AUDIT = "controlnumbers_controlnumberaudit"
PARTNERS = "partners_tradingpartner"

ARGS = """
    p_partner_code text,
    p_scope text,
    p_transaction_types text[],
    p_counter_types text[],
    p_counts bigint[],
    p_file_id uuid,
    p_retry_count integer,
    p_actor text,
    p_file_name text"""

# One ISSUED audit row per number of each updated counter (the CTE ``upd``), with its seq.
INSERT_AUDIT = f"""
    INSERT INTO {AUDIT}
        (counter_id, number, epoch, seq, outbound_file_id, issued_at, retry_count, status,
         notes, actor, file_name)
    SELECT u.id, s.n, u.epoch, u.first_seq + (s.n - u.first_number), p_file_id,
           u.last_increment_at, p_retry_count, 'ISSUED', '', p_actor, p_file_name
    FROM upd u CROSS JOIN LATERAL generate_series(u.first_number, u.last_number) AS s(n)
"""

CREATE_SQL = f"""
CREATE OR REPLACE FUNCTION controlnumbers_allocate({ARGS}
) RETURNS TABLE (out_ord integer, out_first bigint, out_last bigint)
LANGUAGE plpgsql AS $$
BEGIN
    -- The caller chose the counters (ISA/GS per partner or per transaction type) from its
    -- cached partner scope: confirm it in this snapshot, or allocate nothing (the caller
    -- reads the partner again). A cache therefore never needs a time limit.
    IF NOT EXISTS (
        SELECT 1 FROM {PARTNERS} p
        WHERE p.code = p_partner_code AND p.control_number_scope = p_scope
    ) THEN
        RETURN;
    END IF;

    IF cardinality(p_counts) = 1 THEN
        -- One counter: no lock order to respect; the UPDATE's row lock is the only one taken
        -- and the max-value guard sits in its WHERE clause.
        RETURN QUERY
        WITH upd AS (
            UPDATE {COUNTERS} c
            SET current_value = c.current_value + p_counts[1],
                issued_count = c.issued_count + p_counts[1],
                last_increment_at = clock_timestamp(),
                modified_at = clock_timestamp(),
                last_file_name = CASE WHEN p_file_name = '' THEN c.last_file_name
                                      ELSE p_file_name END
            WHERE c.partner_code = p_partner_code
              AND c.transaction_type = p_transaction_types[1]
              AND c.counter_type = p_counter_types[1]
              AND c.current_value + p_counts[1] <= c.max_value
            RETURNING c.id, c.current_value - p_counts[1] + 1 AS first_number,
                      c.current_value AS last_number,
                      c.issued_count - p_counts[1] + 1 AS first_seq,
                      c.epoch, c.last_increment_at
        ),
        ins AS ({INSERT_AUDIT})
        SELECT 1, u.first_number, u.last_number FROM upd u;
        RETURN;
    END IF;

    -- Several counters: lock them in the request's order (the fixed order ISA < GS < ST, so
    -- two allocations never wait on each other in a cycle), then all or nothing.
    RETURN QUERY
    WITH req AS (
        SELECT r.transaction_type, r.counter_type, r.n, r.ord::integer AS ord
        FROM unnest(p_transaction_types, p_counter_types, p_counts)
             WITH ORDINALITY AS r(transaction_type, counter_type, n, ord)
    ),
    locked AS (
        SELECT c.id, c.current_value, c.max_value, c.issued_count, req.n, req.ord
        FROM {COUNTERS} c
        JOIN req ON c.partner_code = p_partner_code
                AND c.transaction_type = req.transaction_type
                AND c.counter_type = req.counter_type
        ORDER BY req.ord
        FOR UPDATE OF c
    ),
    guard AS (
        SELECT count(*) = cardinality(p_counts)
               AND coalesce(bool_and(l.current_value + l.n <= l.max_value), false) AS go
        FROM locked l
    ),
    upd AS (
        UPDATE {COUNTERS} c
        SET current_value = l.current_value + l.n,
            issued_count = l.issued_count + l.n,
            last_increment_at = clock_timestamp(),
            modified_at = clock_timestamp(),
            last_file_name = CASE WHEN p_file_name = '' THEN c.last_file_name
                                  ELSE p_file_name END
        FROM locked l, guard g
        WHERE c.id = l.id AND g.go
        RETURNING c.id, l.ord, l.current_value + 1 AS first_number,
                  c.current_value AS last_number, l.issued_count + 1 AS first_seq,
                  c.epoch, c.last_increment_at
    ),
    ins AS ({INSERT_AUDIT})
    SELECT u.ord, u.first_number, u.last_number FROM upd u;
END;
$$;

CREATE OR REPLACE PROCEDURE controlnumbers_allocate_durable({ARGS},
    INOUT first_numbers bigint[] DEFAULT NULL,
    INOUT last_numbers bigint[] DEFAULT NULL
)
LANGUAGE plpgsql AS $$
BEGIN
    -- This transaction only: its commit does not wait for the WAL flush, so the counter row
    -- locks are released as soon as the commit record is written.
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT array_agg(a.out_first ORDER BY a.out_ord), array_agg(a.out_last ORDER BY a.out_ord)
    INTO first_numbers, last_numbers
    FROM controlnumbers_allocate(p_partner_code, p_scope, p_transaction_types, p_counter_types,
                                 p_counts, p_file_id, p_retry_count, p_actor, p_file_name) a;
    IF first_numbers IS NULL THEN
        RETURN;  -- nothing allocated: nothing to make durable
    END IF;
    COMMIT;
    -- A transaction with an xid and a WAL record commits with a flush (under the session's
    -- synchronous_commit); WAL is flushed in order, so that flush covers the allocation's
    -- commit record too. Only then does CALL return the numbers.
    PERFORM pg_logical_emit_message(true, 'controlnumbers', 'allocated');
END;
$$;
"""

DROP_SQL = """
DROP PROCEDURE IF EXISTS controlnumbers_allocate_durable(
    text, text, text[], text[], bigint[], uuid, integer, text, text, bigint[], bigint[]);
DROP FUNCTION IF EXISTS controlnumbers_allocate(
    text, text, text[], text[], bigint[], uuid, integer, text, text);
"""


def _create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SQL, params=None)


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("controlnumbers", "0003_audit_seq_and_gap_index"),
        ("partners", "0001_initial"),  # the functions read partners_tradingpartner
    ]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
