"""Cache metrics: lookups per level and result, so each level's hit rate can be read."""

from __future__ import annotations

from prometheus_client import Counter

LOOKUPS = Counter(
    "duta_cache_lookups_total",
    "Sentence lookups by cache level (l1: in-process, l2: Redis) and result (hit, miss).",
    ["level", "result"],
)
L2_ERRORS = Counter("duta_cache_l2_errors_total", "Redis errors (each opens the breaker).")
