"""The routing table: which pool serves which pair, pivots through English, the large tier."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from duta.common.errors import UnsupportedLanguagePair
from duta.langid.codes import base_language, script_subtag
from duta.router.pools import WorkerPool
from duta.router.types import Route, Tier

SMALL, LARGE = "small", "large"


def match_language(requested: str, offered: Sequence[str]) -> tuple[str, bool] | None:
    """Finds the model language that serves a requested language.

    Returns (model language, needs Chinese script conversion) or None. An exact code wins;
    otherwise the same base language does, and for Chinese a Simplified model serves a
    Traditional request (and vice versa) through OpenCC conversion.
    """
    if requested in offered:
        return requested, False
    base = base_language(requested)
    want = script_subtag(requested)
    same_base = [code for code in offered if base_language(code) == base]
    for code in same_base:  # same script (or no script asked for)
        if not want or script_subtag(code) in ("", want):
            return code, False
    if base == "zh" and same_base:
        return same_base[0], True
    return None


@dataclass(frozen=True)
class Hop:
    """One model call: pool, and the model-side language codes."""

    pool: WorkerPool
    source: str
    target: str
    # Other pools serving the same model (separate `workers:` entries of one model): tried in
    # turn when `pool` is unavailable, so such entries are replicas too, not cold standbys.
    replicas: tuple[WorkerPool, ...] = ()


@dataclass(frozen=True)
class RoutePlan:
    """How one (source, target) pair is translated."""

    kind: Route
    hops: tuple[Hop, ...]
    source: str
    target: str
    convert_source: bool = False  # Traditional → Simplified before the first model
    convert_target: bool = False  # model's Chinese script → requested variant after the last

    @property
    def models(self) -> list[str]:
        """Model ids along the route."""
        return [hop.pool.name for hop in self.hops]

    @property
    def languages(self) -> list[str]:
        """Languages the text passes through."""
        if not self.hops:
            return [self.source, self.target]
        return [self.source, *(hop.target for hop in self.hops[:-1]), self.target]


@dataclass
class _Kept:
    """Plans and best hops worked out for one state of the pools."""

    state: tuple[object, ...]
    directs: dict[tuple[str, str, str], tuple[Hop, list[WorkerPool]] | None] = field(
        default_factory=dict
    )
    plans: dict[tuple[str, str, int, bool], RoutePlan] = field(default_factory=dict)


class RoutingTable:
    """Plans routes over the pools whose Info is known (available or not).

    Plans are worked out once per pair and kept while the pools stay as they were (the same
    pools, each with the same Info and availability): matching language codes over every pool
    was a quarter of a cache hit's time. A pair served by several pools of one model is not
    kept whole: its pools take turns, call by call.
    """

    def __init__(
        self,
        pools: Sequence[WorkerPool],
        pivot: str = "en",
        fallbacks: Mapping[str, str] | None = None,
    ) -> None:
        self.pools = list(pools)
        self.pivot = pivot
        self.fallbacks = dict(fallbacks or {})
        self._turn = itertools.count()
        self._kept = _Kept(())

    def _current(self) -> _Kept:
        """What was worked out for the pools as they are now; a fresh, empty set when a pool
        was added, removed, answered anew or went down or up since. (Replaced whole, never
        cleared: a plan made in a preparing thread lands in the set it was made for.)"""
        state = tuple((pool, pool.info, pool.available) for pool in self.pools)
        kept = self._kept
        if state != kept.state:
            kept = self._kept = _Kept(state)
        kept.state = state  # an equal Info from a later refresh: compared by identity next
        return kept

    def direct(self, source: str, target: str, tier: str) -> Hop | None:
        """The best pool of `tier` serving source → target, available pools first."""
        directs = self._current().directs
        key = (source, target, tier)
        if key not in directs:  # never cleared (see _current): no race with another thread
            directs[key] = self._best(source, target, tier)
        found = directs[key]
        if found is None:
            return None
        best, same = found
        if len(same) == 1:
            return best
        turn = next(self._turn) % len(same)  # spread calls over the pools of one model
        order = same[turn:] + same[:turn]
        return Hop(order[0], best.source, best.target, tuple(order[1:]))

    def _best(self, source: str, target: str, tier: str) -> tuple[Hop, list[WorkerPool]] | None:
        """The best hop, and every pool of its model equally available (taking turns)."""
        candidates = []
        for pool in self.pools:
            info = pool.info
            if info is None or (info.tier or SMALL) != tier:
                continue
            src = match_language(source, list(info.source_languages))
            tgt = match_language(target, list(info.target_languages))
            if src and tgt and base_language(src[0]) != base_language(tgt[0]):
                candidates.append((not pool.available, Hop(pool, src[0], tgt[0])))
        if not candidates:
            return None
        candidates.sort(key=lambda c: c[0])
        unavailable, best = candidates[0]
        same = [
            hop.pool
            for down, hop in candidates
            if down == unavailable and hop.pool.model_ref == best.pool.model_ref
        ]
        return best, same

    def plan(self, source: str, target: str, tier: int = Tier.ANY, pivot: bool = True) -> RoutePlan:
        """Plans source → target; raises UnsupportedLanguagePair listing what exists."""
        plans = self._current().plans
        key = (source, target, tier, pivot)
        plan = plans.get(key)
        if plan is None:
            plan = self._work_out(source, target, tier, pivot)
            if not any(hop.replicas for hop in plan.hops):  # no pools taking turns
                plans[key] = plan
        return plan

    def _work_out(self, source: str, target: str, tier: int, pivot: bool) -> RoutePlan:
        if tier != Tier.LARGE:
            hop = self.direct(source, target, SMALL)
            if hop:
                return self._plan(Route.DIRECT, (hop,), source, target)
            if pivot:
                first = self.direct(source, self.pivot, SMALL)
                second = self.direct(self.pivot, target, SMALL)
                if first and second:
                    return self._plan(Route.PIVOT, (first, second), source, target)
        if tier != Tier.SMALL:
            hop = self.direct(source, target, LARGE)
            if hop:
                return self._plan(Route.ESCALATED, (hop,), source, target)
        raise UnsupportedLanguagePair(
            f"no model serves {source} → {target}"
            + (" (large tier only)" if tier == Tier.LARGE else "")
            + f"; served pairs: {', '.join(self.pair_names()) or 'none (no worker is known)'}"
        )

    def escalation(self, plan: RoutePlan) -> Hop | None:
        """The large-tier hop a low-confidence small-model result may be retried on."""
        if plan.kind == Route.ESCALATED:
            return None
        return self.direct(plan.source, plan.target, LARGE)

    def pair_names(self) -> list[str]:
        """`src→tgt` for every direct pair of every known pool."""
        names = []
        for pool in self.pools:
            if pool.info:
                for s, t in itertools.product(
                    pool.info.source_languages, pool.info.target_languages
                ):
                    if s != t:
                        names.append(f"{s}→{t}")
        return sorted(set(names))

    def servable_pairs(self, source: str = "", target: str = "") -> list[RoutePlan]:
        """Every pair the cluster can translate, direct or through the pivot (optionally only
        from `source` or into `target`: those are planned as asked, e.g. `zh-TW`)."""
        sources, targets = set(), set()
        for pool in self.pools:
            if pool.info:
                sources.update(pool.info.source_languages)
                targets.update(pool.info.target_languages)
        if source:
            sources = {source}
        if target:
            targets = {target}
        plans = []
        for s, t in itertools.product(sorted(sources), sorted(targets)):
            if base_language(s) == base_language(t):
                continue
            try:
                plans.append(self.plan(s, t))
            except UnsupportedLanguagePair:
                continue
        return plans

    def _plan(self, kind: Route, hops: tuple[Hop, ...], source: str, target: str) -> RoutePlan:
        return RoutePlan(
            kind=kind,
            hops=hops,
            source=source,
            target=target,
            convert_source=script_differs(source, hops[0].source),
            convert_target=script_differs(target, hops[-1].target),
        )


@functools.lru_cache(maxsize=4096)
def script_differs(requested: str, model: str) -> bool:
    """True when a Chinese text must be converted between the requested and model scripts.

    A model code without a script (`zh`) is taken as Simplified, which is what such models
    are trained on.
    """
    if base_language(requested) != "zh" or requested == model:
        return False
    want = script_subtag(requested)
    return bool(want) and want != (script_subtag(model) or "Hans")
