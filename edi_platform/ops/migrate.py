"""``database_migrate``: move the installation's SQLite database to PostgreSQL, with proof.

Steps (``manage.py migrate_database --to URL`` is a thin shell over this):

1. Source checks: the current database is SQLite and migrated to exactly this version's
   schema (no unapplied migration, none unknown to this version).
2. Target checks: a PostgreSQL URL, reachable (lost connections retried by the classifier),
   server 14 or later, and empty (``--force``: everything in its schema is dropped, inside
   the transaction below).
3. The source's write lock is taken (``BEGIN IMMEDIATE``) and held to the end: one
   consistent state is read and no writer can slip a row in behind the copy. Rows are
   counted per table; the registered invariants are run on the source.
   ``--dry-run`` stops here with the plan.
4. ONE transaction on the target: Django's migrations create the schema with everything
   PostgreSQL has and SQLite had not (append-only triggers, statement-level reference
   triggers, partial indexes, unlogged shadow tables); the rows migrations seed are
   truncated; every table is streamed with COPY in dependency order (the triggers fire on
   each COPY and so check the references); deferred foreign keys are checked
   (``SET CONSTRAINTS ALL IMMEDIATE``); every sequence is set above its column's maximum and
   checked; row counts are compared exactly and sampled row hashes row by row; the
   invariants must hold on the target; ``ANALYZE``; COMMIT only if everything held.
5. The report (JSON-able) and the ``DATABASE_URL`` to switch to.

What a crash leaves: the source is only read, never written (its connection is
``query_only``). The target commits once, at the very end: a failure, Ctrl-C or a SIGKILL at
any step before that leaves it as it was (empty; with ``--force`` its previous content),
because PostgreSQL rolls back the transaction of a dead connection.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from edi_platform.core.invariants import invariants_check
from edi_platform.core.progress import ProgressTicker, format_seconds, rate_and_eta
from edi_platform.core.retry import RetryPolicy, classify, retry_call
from edi_platform.x12.logsafe import exception_summary

from .copying import CopyState, sample_verify, table_copy
from .databases import (
    alias_close,
    alias_open,
    everything_routed_to,
    pg_probe,
    pg_schema_clear,
    sqlite_read_locked,
    url_masked,
    url_settings,
)
from .errors import SourceNotReady, TargetNotEmpty, TargetUnsupported, VerificationFailed
from .schema import Table, tables_plan
from .verify import sequences_check, sequences_reset, table_counts, triggers_list

__all__ = ["MigrationReport", "TableReport", "database_migrate"]

TARGET_ALIAS = "ops_migration_target"
# The whole copy is one transaction: a lost connection or a server restart (the classifier's
# RECONNECT / BACK_OFF) rolls it back, and it is done once more from the start; anything
# permanent (a value PostgreSQL refuses, a failed verification) is reported at once.
COPY_POLICY = RetryPolicy(attempts=2, base=2.0, cap=10.0, back_off_factor=3.0)


@dataclass
class TableReport:
    table: str
    rows_source: int
    rows_target: int | None = None
    sampled: int = 0
    sample_digest_source: str = ""
    sample_digest_target: str = ""
    differing_keys: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            self.rows_target == self.rows_source
            and not self.differing_keys
            and self.sample_digest_source == self.sample_digest_target
        )


@dataclass
class MigrationReport:
    """What happened, for people (:meth:`summary_lines`) and machines (:meth:`to_dict`)."""

    source: str
    target: str
    dry_run: bool = False
    outcome: str = "not started"  # committed | rolled back | dry run
    reason: str = ""
    suggestion: str = ""
    started_at: str = ""
    seconds: float = 0.0
    sample_percent: float = 10.0
    source_bytes: int = 0
    server_version: int = 0
    tables: list[TableReport] = field(default_factory=list)
    unmapped_source_tables: list[str] = field(default_factory=list)
    sequences: list[dict[str, Any]] = field(default_factory=list)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    invariants_source: list[dict[str, Any]] = field(default_factory=list)
    invariants_target: list[dict[str, Any]] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in ("committed", "dry run")

    @property
    def rows(self) -> int:
        return sum(t.rows_source for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["rows"] = self.rows
        data["database_url"] = self.target if self.outcome == "committed" else None
        for item, table in zip(data["tables"], self.tables, strict=True):
            item["ok"] = table.ok
        return data

    def summary_lines(self) -> list[str]:
        lines = [
            f"{self.outcome}: {len(self.tables)} tables, {self.rows:,} rows, "
            f"{self.source_bytes / 1e6:,.1f} MB in {format_seconds(self.seconds)}",
        ]
        bad = [t for t in self.tables if t.rows_target is not None and not t.ok]
        for table in bad:
            lines.append(
                f"  {table.table}: rows {table.rows_source} -> {table.rows_target}, "
                f"{len(table.differing_keys)} sampled rows differ "
                f"(keys {', '.join(table.differing_keys[:5])})"
            )
        if self.unmapped_source_tables:
            lines.append(
                "not copied (no model in this version): " + ", ".join(self.unmapped_source_tables)
            )
        if self.reason:
            lines.append(f"reason: {self.reason}")
        if self.suggestion:
            lines.append(f"what to do: {self.suggestion}")
        if self.outcome == "committed":
            sampled = sum(t.sampled for t in self.tables)
            lines.append(
                f"verified: exact counts of {len(self.tables)} tables, {sampled:,} sampled rows "
                f"hashed on both sides, {len(self.sequences)} sequences, "
                f"{len(self.invariants_target)} invariants, {len(self.triggers)} triggers"
            )
            lines.append(f"switch to it: DATABASE_URL={self.target}")
            if ":****@" in self.target:
                lines.append("(the password is hidden here: use the one given with --to)")
        return lines


def _crash_point(name: str) -> None:
    """Test-only: ``OPS_CRASH_AT=<name>`` kills this process at that point (SIGKILL)."""
    if getattr(settings, "OPS_CRASH_AT", "") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _source_checks(alias: str) -> str:
    """The SQLite path of ``alias``, once its migration state matches this version."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        raise SourceNotReady(
            f"the current database is {connection.vendor}, not SQLite",
            suggestion="to move a PostgreSQL database use `manage.py backup` and `restore`",
        )
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    unapplied = executor.migration_plan(graph.leaf_nodes())
    unknown = sorted(
        f"{a}.{n}" for a, n in executor.loader.applied_migrations if (a, n) not in graph.nodes
    )
    connection.close()
    if unknown:
        raise SourceNotReady(
            f"the source was migrated by a newer version ({len(unknown)} migrations unknown "
            f"here, e.g. {unknown[0]})",
            suggestion="run migrate_database with that version of the platform",
        )
    if unapplied:
        raise SourceNotReady(
            f"the source has {len(unapplied)} unapplied migrations",
            suggestion="run `manage.py migrate` on it first",
        )
    return str(connection.settings_dict["NAME"])


def _render(state: CopyState, ticker: list[ProgressTicker]) -> str:
    elapsed = ticker[0].elapsed() if ticker else 0.0
    rate, eta = rate_and_eta(done=state.rows_done, total=state.rows_total, elapsed=elapsed)
    if state.phase != "copying":
        return f"migrate_database: {state.phase} {state.table} ({format_seconds(elapsed)})"
    share = 100 * state.rows_done / state.rows_total if state.rows_total else 100
    return (
        f"migrate_database: copying {state.table} {state.table_rows:,}/{state.table_total:,}"
        f" rows; all tables {state.rows_done:,}/{state.rows_total:,} ({share:.0f}%),"
        f" {rate:,.0f} rows/s, ETA {format_seconds(eta)}"
    )


def database_migrate(
    *,
    target_url: str,
    source_alias: str = "default",
    force: bool = False,
    dry_run: bool = False,
    sample_percent: float = 10.0,
    progress: Callable[[str], None] | None = None,
    progress_seconds: float = 5.0,
    seed: int | None = None,
) -> MigrationReport:
    """Copy the SQLite database of ``source_alias`` into the PostgreSQL ``target_url``.

    Refusals before anything starts raise an :class:`~edi_platform.ops.errors.OpsRefused`
    (nothing changed). Once started, the report says ``committed`` or ``rolled back`` with
    the reason (the target as it was).
    """
    if not 0 < sample_percent <= 100:
        raise ValueError("sample_percent must be in (0, 100]")
    started = time.monotonic()
    report = MigrationReport(
        source="", target=url_masked(target_url), dry_run=dry_run, sample_percent=sample_percent
    )
    report.started_at = timezone.now().isoformat(timespec="seconds")
    config = url_settings(target_url)
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise TargetUnsupported(
            "the target is not a PostgreSQL database",
            suggestion="give --to postgres://USER:PASSWORD@HOST:PORT/NAME",
        )
    path = _source_checks(source_alias)
    report.source = os.path.basename(path)
    report.source_bytes = os.path.getsize(path)
    probe = pg_probe(config=config)
    report.server_version = probe.server_version
    if not probe.empty and not force:
        shown = ", ".join(probe.objects[:3])
        raise TargetNotEmpty(
            f"the target database is not empty ({len(probe.objects)} tables or sequences, "
            f"e.g. {shown}); nothing was changed",
            suggestion="use an empty database (createdb NAME), or --force to replace "
            "everything in it",
        )
    plan = tables_plan()
    source = sqlite_read_locked(path)
    state = CopyState(phase="counting")
    try:
        present = {
            name
            for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        report.unmapped_source_tables = sorted(
            n for n in present - {t.name for t in plan} if not n.startswith("sqlite_")
        )
        counts = table_counts(cursor=source.cursor(), tables=plan)
        report.tables = [TableReport(table=t.name, rows_source=counts[t.name]) for t in plan]
        state.rows_total = sum(counts.values())
        report.invariants_source = [
            r.to_dict() for r in invariants_check(cursor=source.cursor(), tables=present)
        ]
        report.phases["source_checks"] = time.monotonic() - started
        if dry_run:
            report.outcome = "dry run"
            return report
        holder: list[ProgressTicker] = []
        ticker = ProgressTicker(
            render=lambda: _render(state, holder),
            write=progress or (lambda line: None),
            interval=progress_seconds if progress else 0,
        )
        holder.append(ticker)
        rng = random.Random(seed)

        def drop_connection(found: Any) -> None:
            # The rolled-back attempt left the target as it was: start again on a new
            # connection (the source keeps its lock and its snapshot).
            alias_close(TARGET_ALIAS)
            state.rows_done = 0
            progress_say = progress or (lambda line: None)
            progress_say(f"migrate_database: {found.summary()}; the target was rolled back, again")

        with ticker:
            retry_call(
                lambda: _copy_and_verify(
                    report=report,
                    plan=plan,
                    config=config,
                    source=source,
                    state=state,
                    force=force,
                    rng=rng,
                    ticker=ticker,
                ),
                policy=COPY_POLICY,
                what="migrate_database",
                before_retry=drop_connection,
            )
        report.outcome = "committed"
    except VerificationFailed as exc:
        report.outcome, report.reason, report.suggestion = (
            "rolled back",
            exc.message,
            exc.suggestion,
        )
    except Exception as exc:
        found = classify(exc)
        report.outcome = "rolled back"
        report.reason = f"{type(exc).__name__} while {state.phase} {state.table}: {found.summary()}"
        report.suggestion = "the target is as it was; " + (
            "try again" if found.retryable else "fix the cause above, then try again"
        )
        # frames only: a database error's text may quote row values
        report.reason += f" [{exception_summary(exc)}]"
    finally:
        source.close()
        alias_close(TARGET_ALIAS)
        report.seconds = time.monotonic() - started
    return report


def _copy_and_verify(
    *,
    report: MigrationReport,
    plan: list[Table],
    config: dict[str, Any],
    source: Any,
    state: CopyState,
    force: bool,
    rng: random.Random,
    ticker: ProgressTicker,
) -> None:
    """Step 4 of the module docstring: one target transaction, committed only if all holds."""
    connection = alias_open(TARGET_ALIAS, config)
    by_name = {t.table: t for t in report.tables}
    samples = {}
    with transaction.atomic(using=TARGET_ALIAS):
        raw = connection.connection
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            if force:
                state.phase = "clearing the target"
                pg_schema_clear(cursor=cursor)
            mark = time.monotonic()
            state.phase = "creating the schema (migrations)"
            ticker.tick_now()
            executor = MigrationExecutor(connection)
            with everything_routed_to(TARGET_ALIAS):
                executor.migrate(executor.loader.graph.leaf_nodes())
            # Migrations seed a few rows (position counter, batch windows): the source's win.
            cursor.execute("TRUNCATE " + ", ".join(f'"{t.name}"' for t in plan))
            report.phases["schema"] = time.monotonic() - mark
            mark = time.monotonic()
            state.phase = "copying"
            for table in plan:
                began = time.monotonic()
                _, samples[table.name] = table_copy(
                    table=table,
                    source=source,
                    target=cursor,
                    expected_rows=by_name[table.name].rows_source,
                    percent=report.sample_percent,
                    rng=rng,
                    state=state,
                )
                by_name[table.name].seconds = time.monotonic() - began
                _crash_point(f"after_table:{table.name}")
            report.phases["copy"] = time.monotonic() - mark
            mark = time.monotonic()
            state.phase, state.table = "checking deferred foreign keys", ""
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            state.phase = "setting sequences"
            sequences_reset(cursor=cursor)
            report.sequences = [s.to_dict() for s in sequences_check(cursor=cursor)]
            report.triggers = triggers_list(cursor=cursor)
            state.phase = "counting rows on the target"
            counts = table_counts(cursor=cursor, tables=plan)
            state.phase = "hashing sampled rows of"
            for table in plan:
                state.table = table.name
                item, sample = by_name[table.name], samples[table.name]
                item.rows_target = counts[table.name]
                item.sampled = len(sample.keys)
                item.sample_digest_source = f"{sample.total:016x}"
                total, item.differing_keys = sample_verify(
                    table=table, sample=sample, target=cursor
                )
                item.sample_digest_target = f"{total:016x}"
            state.phase, state.table = "checking invariants", ""
            present = {t.name for t in plan}
            results = invariants_check(cursor=cursor, tables=present)
            report.invariants_target = [r.to_dict() for r in results]
            report.phases["verify"] = time.monotonic() - mark
            _refuse_unless_verified(report, results)
            mark = time.monotonic()
            state.phase = "analyzing"
            cursor.execute("ANALYZE")
            report.phases["analyze"] = time.monotonic() - mark
            _crash_point("before_commit")
            state.phase = "committing"
            ticker.tick_now()


def _refuse_unless_verified(report: MigrationReport, invariants: list[Any]) -> None:
    problems = []
    bad_tables = [t.table for t in report.tables if not t.ok]
    if bad_tables:
        problems.append(f"{len(bad_tables)} tables differ ({', '.join(bad_tables[:5])})")
    bad_sequences = [f"{s['table']}.{s['column']}" for s in report.sequences if not s["ok"]]
    if bad_sequences:
        problems.append(f"sequences not above their maximum: {', '.join(bad_sequences[:5])}")
    disabled = [f"{t['table']}.{t['trigger']}" for t in report.triggers if not t["enabled"]]
    if disabled:
        problems.append(f"disabled triggers: {', '.join(disabled[:5])}")
    broken = [r.name for r in invariants if not r.holds]
    if broken:
        in_source = {i["name"] for i in report.invariants_source if i["violations"]}
        already = [name for name in broken if name in in_source]
        problems.append(
            f"invariants broken on the target: {', '.join(broken)}"
            + (f" (already broken in the source: {', '.join(already)})" if already else "")
        )
    if problems:
        raise VerificationFailed(
            "verification failed: " + "; ".join(problems),
            suggestion="nothing was committed; the report lists the tables and keys (ids only)",
        )
