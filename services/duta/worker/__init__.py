"""The translation worker: one CTranslate2 model per process behind duta.v1.Worker."""

from duta.worker.engine import DecodeOptions, Engine, Hypothesis
from duta.worker.server import build_server, serve
from duta.worker.settings import WorkerSettings

__all__ = ["DecodeOptions", "Engine", "Hypothesis", "WorkerSettings", "build_server", "serve"]
