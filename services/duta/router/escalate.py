"""Stage 4, escalate: low-confidence small-model sentences go again to the large tier."""

from __future__ import annotations

import math

from duta.router.hops import HopRunner
from duta.router.routing import RoutePlan, RoutingTable, script_differs
from duta.router.types import Outcome, Request, Route, Tier
from duta.text import to_chinese_variant


async def escalate(
    runner: HopRunner,
    table: RoutingTable,
    plan: RoutePlan,
    sentences: list[str],
    outcomes: list[Outcome],
    req: Request,
    threshold: float,
) -> None:
    """Replaces, in place, outcomes below `threshold` by the large tier's translation."""
    if threshold <= 0 or req.tier == Tier.SMALL:
        return
    hop = table.escalation(plan)
    low = [
        i
        for i, o in enumerate(outcomes)
        if o.confidence < threshold and o.route != Route.PASSTHROUGH
    ]
    if hop is None or not low:
        return
    inputs = [sentences[i] for i in low]
    if script_differs(plan.source, hop.source):
        inputs = [to_chinese_variant(s, hop.source) for s in inputs]
    results = await runner.run_hop(hop, inputs, req)
    convert = script_differs(plan.target, hop.target)
    for i, text, (result, cached) in zip(low, inputs, results, strict=True):
        outcomes[i] = Outcome(
            text=to_chinese_variant(result.text, plan.target) if convert else result.text,
            source=text,
            confidence=math.exp(min(result.score, 0.0)),
            cached=cached,
            models=[*outcomes[i].models, hop.pool.name],
            route=Route.ESCALATED,
            demo=result.demo,
        )
