"""Resident memory of raw CTranslate2 around one batch per replica, and after it (no gRPC).

Each configuration runs in a fresh process: RSS before loading, after loading, the peak while
every replica decodes one batch, right after, and after `malloc_trim` (what glibc held free).

    python bench/ct2_memory.py                      # batch 64 and 32, greedy and beam 4
    python bench/ct2_memory.py --batch 16 --length 250 --out 40
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def _status(key: str) -> float:
    lines = Path("/proc/self/status").read_text().splitlines()
    return int(next(x for x in lines if x.startswith(key)).split()[1]) / 1024


def measure(model: str, batch: int, beam: int, length: int, out: int, threads: int) -> dict:
    """One configuration, in this process."""
    import ctranslate2

    before = _status("VmRSS:")
    translator = ctranslate2.Translator(
        model, device="cpu", compute_type="int8", inter_threads=threads, intra_threads=1
    )
    loaded = _status("VmRSS:")
    Path("/proc/self/clear_refs").write_text("5")  # a new peak from here
    source = [["▁今天"] * (length - 1) + ["</s>"]] * batch
    options = {"beam_size": beam, "max_decoding_length": out, "min_decoding_length": out}
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: translator.translate_batch(source, **options), range(threads)))
    after = _status("VmRSS:")
    peak = _status("VmHWM:")
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return {"batch": batch, "beam": beam, "in": length, "out": out, "replicas": threads,
            "before": before, "loaded": loaded, "peak": peak, "after": after,
            "trimmed": _status("VmRSS:")}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 32])
    parser.add_argument("--beam", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--length", type=int, default=25)
    parser.add_argument("--out", type=int, default=25)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.batch[0], args.beam[0], args.length,
                                 args.out, args.threads)))  # fmt: skip
        return
    from duta.models import DemoShape, build_demo_model

    with tempfile.TemporaryDirectory() as tmp:
        model = build_demo_model(Path(tmp) / "m", "zh", "en", "opus-mt", DemoShape.opus_mt_base())
        model_mb = (model / "model.bin").stat().st_size / 2**20
        print(f"model.bin {model_mb:.0f} MB; MB over the model: loaded, peak, after, trimmed")
        for beam in args.beam:
            for batch in args.batch:
                cmd = [sys.executable, __file__, "--child", str(model), "--batch", str(batch),
                       "--beam", str(beam), "--length", str(args.length), "--out",
                       str(args.out), "--threads", str(args.threads)]  # fmt: skip
                row = json.loads(subprocess.run(cmd, capture_output=True, text=True,
                                                check=True).stdout)  # fmt: skip
                over = {k: row[k] - model_mb for k in ("loaded", "peak", "after", "trimmed")}
                print(f"{args.threads} replicas × batch {batch:>3}, beam {beam}, "
                      f"{args.length}→{args.out} tokens: " + ", ".join(
                          f"{k} {v:.0f}" for k, v in over.items()))  # fmt: skip


if __name__ == "__main__":
    main()
