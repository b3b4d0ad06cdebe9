"""Sub-commands of the ``workbench`` CLI, discovered by module (one file per command group).

Each module defines ``register(sub, common)`` which adds its parser(s) with ``parents=[common]`` and
``set_defaults(func=handler)``; a handler takes the parsed args and returns an exit code. Modules must
import heavy libraries (textual, httpx, psycopg) inside their handlers, not at the top, so ``workbench``
starts fast. Adapter-backed commands live in ``adapters/commands/`` and register the same way.
"""
