"""Deterministic demo data: the demo team (:mod:`.agents`) and the demo/scale dataset (:mod:`.generate`).

Everything here is seeded from ``random.Random(seed)`` and timed relative to a given ``now``, so two
generations with the same arguments hold identical content (tests and snapshots depend on it).
Seed data writes no outbox rows: it is not an agent's change and must never be pushed to a hub.
"""
