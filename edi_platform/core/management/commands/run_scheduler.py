"""Run the default schedules in-process, without a broker (the embedded default)."""

from __future__ import annotations

import logging
import time

from edi_platform.celery import app
from edi_platform.core.commands import PlatformCommand
from edi_platform.core.schedules import DEFAULT_SCHEDULES

logger = logging.getLogger(__name__)


class Command(PlatformCommand):
    help = (
        "Run the default schedules (outbound batch windows, outbox publisher, recovery, ...) "
        "in this process. Without --loop: one pass over every task, then exit."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep running (Ctrl-C stops).")
        parser.add_argument(
            "--tick", type=float, default=5.0, help="Seconds between checks (default 5)."
        )

    def handle(self, *args, **options) -> None:
        # autodiscovery is lazy: import every app's tasks module so the names resolve
        app.loader.import_default_modules()
        last_run: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for spec in DEFAULT_SCHEDULES:
                if spec.name in last_run and now - last_run[spec.name] < spec.every_seconds:
                    continue
                last_run[spec.name] = now
                self._run(spec)
            if not options["loop"]:
                return
            try:
                time.sleep(options["tick"])
            except KeyboardInterrupt:
                return

    def _run(self, spec) -> None:
        task = app.tasks.get(spec.task)
        if task is None:
            self.stderr.write(f"{spec.name}: task {spec.task} is not registered")
            return
        # apply() runs the task body here, synchronously: no broker involved.
        outcome = task.apply(kwargs=spec.kwargs)
        if outcome.failed():
            # Keep looping: the next tick retries (one failing task must not stop the others).
            self.stderr.write(f"{spec.name}: failed ({type(outcome.result).__name__})")
        else:
            self.stdout.write(f"{spec.name}: {outcome.result}")
