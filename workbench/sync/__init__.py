"""Offline-first sync: the outbox goes to a hub, the team's changes come back.

``protocol`` (the Hub contract), ``engine`` (one sync round), ``conflicts`` (merge rules per entity),
``permissions`` (who may change what), ``hubmoney`` (the hub's money re-check), ``apply`` (writing hub
rows locally without echo), ``status`` (header and Sync screen figures), ``backoff`` and ``runner``
(background schedule). Hub adapters live in ``adapters/`` (SQLite file, PostgreSQL).
"""
