"""Prometheus helpers shared by every service."""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client.metrics import MetricWrapperBase


@functools.lru_cache(maxsize=4096)
def child(metric: MetricWrapperBase, *labels: str) -> Any:
    """`metric.labels(*labels)`, looked up once: `labels()` costs microseconds per call, which
    shows on a cache hit's path."""
    return metric.labels(*labels)
