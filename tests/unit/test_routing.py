"""Route planning over what the workers say they serve (pure logic, no servers)."""

from __future__ import annotations

import pytest

from duta.common.errors import UnsupportedLanguagePair
from duta.langid.codes import script_subtag as script_of
from duta.router.pools import WorkerPool
from duta.router.routing import RoutingTable, match_language, script_differs
from duta.router.settings import WorkerEndpoint
from duta.v1 import translator_pb2 as pb
from duta.v1 import worker_pb2


def pool(model_id: str, sources: list[str], targets: list[str], tier: str = "small") -> WorkerPool:
    info = worker_pb2.WorkerInfoResponse(
        model_id=model_id,
        revision="r1",
        source_languages=sources,
        target_languages=targets,
        tier=tier,
    )
    pool = WorkerPool.__new__(WorkerPool)  # no channel: planning only reads info
    pool.endpoint, pool.info, pool.available = WorkerEndpoint(address=model_id), info, True
    return pool


@pytest.fixture
def table() -> RoutingTable:
    return RoutingTable(
        [
            pool("zh-en", ["zh-Hans"], ["en"]),
            pool("en-zh", ["en"], ["zh-Hans"]),
            pool("ja-en", ["ja"], ["en"]),
            pool("en-ko", ["en"], ["ko"]),
            pool(
                "nllb", ["zh-Hans", "zh-Hant", "yue", "th", "en"], ["en", "th", "yue"], tier="large"
            ),
        ]
    )


def test_script_helpers() -> None:
    assert script_of("zh-Hant-TW") == "Hant" and script_of("zh") == "" and script_of("en") == ""
    assert script_differs("zh-Hant-TW", "zh-Hans") and script_differs("zh-Hant", "zh")
    assert not script_differs("zh-Hans", "zh") and not script_differs("en", "zh-Hans")


def test_match_language() -> None:
    assert match_language("zh-Hans", ["zh-Hans"]) == ("zh-Hans", False)
    assert match_language("zh", ["zh-Hans"]) == ("zh-Hans", False)
    assert match_language("zh-Hant-TW", ["zh-Hans"]) == ("zh-Hans", True)
    assert match_language("zh-Hant-TW", ["zh-Hans", "zh-Hant"]) == ("zh-Hant", False)
    assert match_language("yue", ["zh-Hans"]) is None
    assert match_language("ko", ["ja", "en"]) is None


def test_direct_pivot_and_large(table: RoutingTable) -> None:
    direct = table.plan("zh-Hans", "en")
    assert direct.kind == pb.ROUTE_DIRECT and direct.models == ["zh-en"]
    pivot = table.plan("ja", "ko")
    assert pivot.kind == pb.ROUTE_PIVOT and pivot.models == ["ja-en", "en-ko"]
    assert pivot.languages == ["ja", "en", "ko"]
    large = table.plan("th", "en")
    assert large.kind == pb.ROUTE_ESCALATED and large.models == ["nllb"]
    assert table.plan("zh-Hans", "en", tier=pb.TIER_LARGE).models == ["nllb"]
    assert table.escalation(direct) is not None and table.escalation(large) is None


def test_chinese_variants_are_converted_around_a_simplified_model(table: RoutingTable) -> None:
    to_tw = table.plan("en", "zh-Hant-TW")
    assert to_tw.models == ["en-zh"] and to_tw.convert_target and not to_tw.convert_source
    from_hant = table.plan("zh-Hant", "en", tier=pb.TIER_SMALL)
    assert from_hant.models == ["zh-en"] and from_hant.convert_source


def test_unsupported_pairs_list_what_exists(table: RoutingTable) -> None:
    with pytest.raises(UnsupportedLanguagePair) as info:
        table.plan("ko", "ja")
    assert "ko → ja" in str(info.value) and "zh-Hans→en" in str(info.value)
    with pytest.raises(UnsupportedLanguagePair):
        table.plan("ja", "ko", pivot=False)
    with pytest.raises(UnsupportedLanguagePair):
        table.plan("th", "en", tier=pb.TIER_SMALL)


def test_available_pools_are_preferred() -> None:
    down = pool("zh-en-a", ["zh-Hans"], ["en"])
    down.available = False
    up = pool("zh-en-b", ["zh-Hans"], ["en"])
    assert RoutingTable([down, up]).plan("zh-Hans", "en").models == ["zh-en-b"]
