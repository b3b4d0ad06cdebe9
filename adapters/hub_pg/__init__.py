"""The PostgreSQL team hub: ``schema.sql``, ``functions.sql``, ``money.sql`` and ``policies.sql`` set it up
(:mod:`adapters.hub_pg.admin`); :class:`adapters.hub_pg.hub.PgHub` is one agent's connection to it."""
