"""First run: a cache with no agents gets the small demo dataset so ``make run`` shows a real screen."""

from __future__ import annotations

from workbench.context import Context


def ensure_demo(ctx: Context, force: bool = False) -> bool:
    """Fill an empty cache (no agents yet) with the small demo data; returns whether it did.

    A cache that already has agents is never touched, so a real shop's data is safe.
    """
    has_agents = int(ctx.store.scalar("SELECT count(*) FROM agents"))
    if has_agents and not force:
        return False
    from workbench.demo.agents import seed_agents
    from workbench.demo.generate import generate

    has_customers = int(ctx.store.scalar("SELECT count(*) FROM customers"))
    seed_agents(ctx.store, ctx.clock.now())
    if not has_customers:
        generate(ctx.store, scale="small", seed=7, now=ctx.clock.now())
        from workbench.demo.requests import add_pending_requests

        add_pending_requests(ctx)
    return True
