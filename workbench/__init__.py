"""售后坐席工作台 — headless core: domain model, store, services, config, CLI and the App factory.

Nothing in this package (outside ``app.py`` and ``cli.py``) may import textual, httpx or psycopg:
the core must run in a CLI, a sync daemon or a test without the UI or network stacks.
"""

__version__ = "0.1.0"
