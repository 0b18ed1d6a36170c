"""One allocating OS process for the concurrency tests (not a test module).

    python tests/controlnumbers/alloc_worker.py MODE COUNT SYNC_DIR INDEX

Connects to the database named by DATABASE_URL, writes SYNC_DIR/ready-INDEX, waits for
SYNC_DIR/go (so that every process starts allocating at the same moment), then makes COUNT
envelope allocations for partner CONC / transaction 271. MODE "mixed" varies the ST block size
and interleaves standalone ST block allocations. Prints the number of ST02 numbers it got.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edi_platform.settings")

import django

django.setup()

from controlnumbers.services import allocate_block, allocate_envelope  # noqa: E402


def main() -> None:
    mode, count, sync_dir, index = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    (sync_dir / f"ready-{index}").touch()
    deadline = time.monotonic() + 120
    while not (sync_dir / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("never told to go")
        time.sleep(0.005)
    st_numbers = 0
    for i in range(count):
        st_count = 1 + (i % 5) if mode == "mixed" else 1
        env = allocate_envelope(
            partner_code="CONC",
            transaction_type="271",
            outbound_file_id=uuid.uuid4(),
            st_count=st_count,
        )
        st_numbers += len(env.st02s)
        if mode == "mixed" and i % 10 == 0:
            block = allocate_block(
                partner_code="CONC",
                transaction_type="271",
                counter_type="ST",
                count=25,
                outbound_file_id=uuid.uuid4(),
            )
            st_numbers += len(block)
    print(st_numbers)


if __name__ == "__main__":
    main()
