"""Admin of the event store: the inbound and ledger rooms register their own pages."""

from eventstore.inbound import admin as inbound_admin  # noqa: F401
from eventstore.inbound import run_admin  # noqa: F401
from eventstore.ledger import admin as ledger_admin  # noqa: F401
