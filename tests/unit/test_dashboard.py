"""The Grafana dashboard (deploy/grafana/duta-dashboard.json): valid, importable, and every
series it queries is one Duta really exports (tests/e2e checks them on live processes too)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

import duta.cache.metrics
import duta.common.interceptors
import duta.router.metrics
import duta.worker.metrics  # noqa: F401 - registers the metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "duta-dashboard.json"
METRIC = re.compile(r"\bduta_[a-z_]+")
# What an operator looks at (issue 8): requests, latency, routes, cache hits by level, worker
# queue depth, batch sizes.
REQUIRED = {
    "duta_grpc_requests_total",
    "duta_grpc_request_seconds_bucket",
    "duta_router_texts_total",
    "duta_router_translate_seconds_bucket",
    "duta_router_sentences_total",
    "duta_cache_lookups_total",
    "duta_worker_queue_sentences",
    "duta_worker_batch_sentences_bucket",
    "duta_worker_request_seconds_bucket",
}


def load() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def exported_series() -> set[str]:
    """Sample names Duta's registered metrics produce (histograms: _bucket, _sum, _count)."""
    names = set()
    for collector in list(REGISTRY._collector_to_names):  # noqa: SLF001 - public in effect
        names |= set(REGISTRY._collector_to_names[collector])  # noqa: SLF001
    return {n for n in names if n.startswith("duta_")}


def expressions(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def dashboard_series() -> set[str]:
    return {name for expr in expressions(load()) for name in METRIC.findall(expr)}


def test_dashboard_is_an_importable_grafana_dashboard() -> None:
    dashboard = load()
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        assert panel["type"] in {"timeseries", "stat", "gauge", "bargauge", "table"}, panel
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24 and pos["h"] > 0, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps another panel"
                cells.add((x, y))
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]


@pytest.mark.parametrize("expr", expressions(load()))
def test_queries_are_well_formed_promql(expr: str) -> None:
    depth = 0
    for char in expr:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0, expr
    assert depth == 0 and expr.count("{") == expr.count("}"), expr
    assert "$__rate_interval" in expr or "rate(" not in expr, expr
    for name in METRIC.findall(expr):
        if name.endswith("_bucket"):
            assert "histogram_quantile(" in expr, f"{name} needs histogram_quantile"
        assert not (name.endswith("_total") and "rate(" not in expr), f"{name}: rate() a counter"


def test_every_series_queried_is_exported_and_the_essentials_are_there() -> None:
    queried = dashboard_series()
    assert queried >= REQUIRED, REQUIRED - queried
    unknown = queried - exported_series()
    assert not unknown, f"the dashboard queries series Duta does not export: {unknown}"


@pytest.mark.parametrize(
    ("series", "label"),
    [
        ("duta_router_translate_seconds_bucket", "route"),  # latency by route
        ("duta_cache_lookups_total", "level"),  # cache hits by level (L1, L2)
        ("duta_worker_queue_sentences", "model"),  # queue depth per worker model
        ("duta_worker_batch_sentences_bucket", "model"),  # batch sizes per worker model
    ],
)
def test_what_the_operator_looks_at_is_split_by_its_label(series: str, label: str) -> None:
    grouped = [
        e for e in expressions(load()) if series in e and re.search(rf"by \([^)]*\b{label}\b", e)
    ]
    assert grouped, f"no panel shows {series} by {label}"
    (collector,) = [
        c
        for c, names in REGISTRY._collector_to_names.items()  # noqa: SLF001
        if series in names
    ]
    assert label in collector._labelnames  # noqa: SLF001 - the label the metric really has
