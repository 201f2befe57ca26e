"""API keys, TLS on the public port, mutual TLS to the workers, and reload under load."""

from __future__ import annotations

import logging

import grpc
import pytest
import trustme

from duta.client import Client, DutaRpcError
from duta.router import RouterSettings, WorkerEndpoint
from duta.worker import WorkerSettings
from tests.conftest import running_router, start_worker, stop_worker
from tests.integration.test_router_lifecycle import SERVING, health
from tests.integration.test_router_pools import Load


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    root = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("duta-router")
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    for name, cert in (("server", server), ("client", client)):
        cert.private_key_pem.write_to_path(str(root / f"{name}.key"))
        cert.cert_chain_pems[0].write_to_path(str(root / f"{name}.pem"))
    return root


def settings_for(workers, **overrides) -> RouterSettings:
    endpoints = tuple(WorkerEndpoint(address=workers.address(n)) for n in ("demo-zh-en",))
    return RouterSettings(host="127.0.0.1", port=0, workers=endpoints, **overrides)


def test_api_keys_are_required_checked_and_reloaded(
    loop_thread, workers, detector, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    keys = tmp_path / "keys"
    keys.write_text("# one key per line\nfirst-key-123\n")
    settings = settings_for(workers, api_keys_file=keys)
    with running_router(loop_thread, settings, detector) as router:
        address = f"127.0.0.1:{router.service.port}"
        assert health(address) == SERVING  # probes need no key
        for key, reason in ((None, "API_KEY_MISSING"), ("wrong-key", "API_KEY_INVALID")):
            with Client(address, api_key=key) as client, pytest.raises(DutaRpcError) as info:
                client.translate(["你好。"], "en", source="zh")
            assert info.value.code == grpc.StatusCode.UNAUTHENTICATED
            assert info.value.reason == reason and "wrong-key" not in info.value.message
        with Client(address, api_key="first-key-123") as client:
            assert client.translate(["你好。"], "en", source="zh")[0].text
        keys.write_text("second-key-456\n")
        loop_thread.run(router.reload())  # what SIGHUP runs
        with Client(address, api_key="first-key-123") as client, pytest.raises(DutaRpcError):
            client.translate(["你好。"], "en", source="zh")
        with Client(address, api_key="second-key-456") as client:
            assert client.translate(["你好。"], "en", source="zh")[0].text
    logged = caplog.text
    assert "API keys loaded" in logged  # the reload was logged, the keys never
    assert not [k for k in ("first-key-123", "second-key-456", "wrong-key") if k in logged]


def test_tls_on_the_public_port(loop_thread, workers, detector, pki) -> None:
    settings = settings_for(
        workers, tls_cert_file=pki / "server.pem", tls_key_file=pki / "server.key"
    )
    with running_router(loop_thread, settings, detector) as router:
        address = f"localhost:{router.service.port}"
        with Client(address, root_certificates=pki / "ca.pem") as client:
            assert client.translate(["加密。"], "en", source="zh")[0].text
        with Client(address, max_attempts=1, timeout=10) as plain, pytest.raises(DutaRpcError):
            plain.translate(["加密。"], "en", source="zh")


def test_mutual_tls_from_router_to_workers(loop_thread, demo_models, detector, pki) -> None:
    worker = WorkerSettings(
        model=demo_models / "demo-zh-en",
        host="127.0.0.1",
        port=0,
        inter_threads=1,
        tls_cert_file=pki / "server.pem",
        tls_key_file=pki / "server.key",
        tls_client_ca_file=pki / "ca.pem",
    )
    service, servicer = start_worker(loop_thread, worker)
    try:
        endpoint = (WorkerEndpoint(address=f"localhost:{service.port}"),)
        mtls = RouterSettings(
            host="127.0.0.1",
            port=0,
            workers=endpoint,
            worker_tls_ca_file=pki / "ca.pem",
            worker_tls_cert_file=pki / "client.pem",
            worker_tls_key_file=pki / "client.key",
        )
        with running_router(loop_thread, mtls, detector) as router:
            assert router.pools[0].available
            with Client(f"127.0.0.1:{router.service.port}") as client:
                (out,) = client.translate(["双向认证。"], "en", source="zh", no_cache=True)
                assert out.models == ("demo-zh-en",)
        no_client_cert = RouterSettings(
            host="127.0.0.1", port=0, workers=endpoint, worker_tls_ca_file=pki / "ca.pem"
        )
        from duta.router import build_router

        async def ask() -> bool:
            router = build_router(no_client_cert, detector)  # channels bind to this loop
            try:
                return await router.table.pools[0].refresh()
            finally:
                await router.close()

        assert not loop_thread.run(ask())  # the worker refused the handshake
    finally:
        stop_worker(loop_thread, service, servicer)


async def _started(settings: RouterSettings, detector, routes):
    """A router built from `settings` and the routes file `routes`, started and ready."""
    from duta.router import build_router

    router = build_router(settings, detector, config_file=routes)
    await router.start()
    await router.ready.wait()
    return router


def test_reload_under_load_changes_pools_and_keys_without_a_failed_call(
    loop_thread, workers, detector, tmp_path
) -> None:
    routes = tmp_path / "routes.yaml"
    zh = workers.address("demo-zh-en")
    routes.write_text(f"workers:\n  - address: {zh}\n")
    keys = tmp_path / "keys"
    keys.write_text("load-key-1\n")
    settings = RouterSettings(
        host="127.0.0.1",
        port=0,
        workers=(WorkerEndpoint(address=zh),),
        cache_entries=0,
        api_keys_file=keys,
    )
    router = loop_thread.run(_started(settings, detector, routes))
    load: Load | None = None
    try:
        address = f"127.0.0.1:{router.service.port}"
        with Client(address, max_attempts=1, api_key="load-key-1") as client:
            load = Load(client, callers=4)
            ja = workers.address("demo-ja-en")
            # the zh→en pool is replaced by an equal one (the old one retires under load)
            routes.write_text(f"workers:\n  - addresses: [{zh}]\n  - address: {ja}\n")
            keys.write_text("load-key-1\nrotated-key-2\n")  # a key added (a rotation begins)
            loop_thread.run(router.reload())
            with Client(address, max_attempts=1, api_key="rotated-key-2") as rotated:
                assert rotated.translate(["新钥匙。"], "en", source="zh")[0].text
            assert {p.name for p in router.pools} == {"demo-zh-en", "demo-ja-en"}
            assert client.translate(["今日は。"], "en", source="ja")[0].models == ("demo-ja-en",)
            routes.write_text(f"workers:\n  - address: {zh}\n")
            loop_thread.run(router.reload())
            with pytest.raises(DutaRpcError) as gone:
                client.translate(["今日は。"], "en", source="ja")
            assert gone.value.reason == "UNSUPPORTED_PAIR"
            load.wait_for(20)
            load.stop()  # before the client closes
    finally:
        if load is not None:
            load.stop()
        loop_thread.run(router.stop(0))
    assert load is not None and load.failures == []
