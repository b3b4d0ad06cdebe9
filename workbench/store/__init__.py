"""The local SQLite cache: connections, transactions and numbered migrations."""

from workbench.store.db import Store, StoreError

__all__ = ["Store", "StoreError"]
