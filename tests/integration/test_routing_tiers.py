"""The large tier: served when no small model covers a pair, and on low confidence."""

from __future__ import annotations

import json

import grpc
import pytest

from duta.models import build_demo_model
from duta.router import RouterSettings, WorkerEndpoint
from duta.v1 import translator_pb2 as pb
from duta.v1 import translator_pb2_grpc
from tests.conftest import WorkerCluster, running_router


@pytest.fixture(scope="module")
def large_workers(loop_thread, tmp_path_factory):
    root = tmp_path_factory.mktemp("large")
    for source in ("zh", "th"):
        model = build_demo_model(root / f"demo-large-{source}-en", source, "en", family="nllb")
        meta = json.loads((model / "duta.json").read_text())
        (model / "duta.json").write_text(json.dumps({**meta, "tier": "large"}))
    cluster = WorkerCluster(loop_thread, root)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def stub(loop_thread, workers, large_workers, detector):
    addresses = [workers.address(n) for n in workers.services]
    addresses += [large_workers.address(n) for n in large_workers.services]
    settings = RouterSettings(
        host="127.0.0.1", port=0, workers=tuple(WorkerEndpoint(address=a) for a in addresses)
    )

    with (
        running_router(loop_thread, settings, detector) as router,
        grpc.insecure_channel(f"127.0.0.1:{router.service.port}") as channel,
    ):
        yield translator_pb2_grpc.TranslatorStub(channel)


def _one(stub, text, target, **options):
    request = pb.TranslateRequest(
        texts=[text], target_language=target, options=pb.TranslateOptions(**options)
    )
    return stub.Translate(request).translations[0]


def test_pair_without_small_model_goes_to_the_large_tier(stub) -> None:
    out = _one(stub, "วันนี้อากาศดีมาก", "en")
    assert out.detected_language == "th"
    assert out.route == pb.ROUTE_ESCALATED
    assert list(out.models) == ["demo-large-th-en"] and out.text.strip()


def test_small_model_preferred_and_low_confidence_escalates(stub) -> None:
    plain = _one(stub, "今天天气很好。", "en", no_cache=True)
    assert plain.route == pb.ROUTE_DIRECT and list(plain.models) == ["demo-zh-en"]
    assert 0 < plain.confidence < 1  # random weights: far from certain
    escalated = _one(stub, "今天天气很好。", "en", escalation_threshold=1.0, no_cache=True)
    assert escalated.route == pb.ROUTE_ESCALATED
    assert list(escalated.models) == ["demo-zh-en", "demo-large-zh-en"]


def test_tier_options_restrict_the_route(stub) -> None:
    large = _one(stub, "今天天气很好。", "en", tier=pb.TIER_LARGE)
    assert list(large.models) == ["demo-large-zh-en"] and large.route == pb.ROUTE_ESCALATED
    with pytest.raises(grpc.RpcError) as info:
        _one(stub, "วันนี้อากาศดีมาก", "en", tier=pb.TIER_SMALL)
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "th → en" in info.value.details()
    small = _one(stub, "今天天气很好。", "en", tier=pb.TIER_SMALL, escalation_threshold=1.0)
    assert small.route == pb.ROUTE_DIRECT  # TIER_SMALL never escalates


def test_list_languages_shows_tiers(stub) -> None:
    reply = stub.ListLanguages(pb.ListLanguagesRequest(source_language="th"))
    assert [(p.target_language, p.tier, p.route) for p in reply.pairs] == [
        ("en", "large", pb.ROUTE_ESCALATED)
    ]


def test_a_large_tier_keeps_list_languages_small_unless_pairs_are_asked_for(stub) -> None:
    reply = stub.ListLanguages(pb.ListLanguagesRequest())
    assert not reply.pairs and reply.languages  # languages and models, no N² pair list
    thai = {language.code: language for language in reply.languages}["th"]
    assert thai.source and thai.tiers == ["large"] and thai.display_name == "Thai"
    asked = stub.ListLanguages(pb.ListLanguagesRequest(include_pairs=True))
    routes = {(p.source_language, p.target_language): p.route for p in asked.pairs}
    assert (
        routes[("th", "en")] == pb.ROUTE_ESCALATED and routes[("zh-Hans", "en")] == pb.ROUTE_DIRECT
    )
