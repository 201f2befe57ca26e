"""`make bench`: every benchmark in bench/, one Markdown report with plots.

    python bench/report.py                      # everything (about 30 minutes)
    python bench/report.py --only load_curve,soak --soak-minutes 1

``--only`` runs some benchmarks and reports the others from their outputs saved by an earlier
run (``bench/report/*.txt``, each stamped with its time), saying so in the table.

Runs each benchmark as its own process, one after another (never two at once: they would skew
each other), keeps its whole output, and writes ``bench/REPORT.md``: the machine, the git
commit, each benchmark's last line (its ratios, measured side by side in that run) as a table,
plots (``bench/report/*.png``) of throughput and latency percentiles against clients and of
memory over the soak, and every output in full. Figures from one run on a shared machine are
noisy: run it more than once before believing a change, and keep every report you cite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "report"


@dataclass
class Bench:
    """One benchmark run: its command and, once run, its output."""

    name: str
    argv: list[str]
    output: str = ""
    returncode: int | None = None
    seconds: float = 0.0
    json_file: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """File-name stem of this run's saved output."""
        return "-".join("".join(c if c.isalnum() else " " for c in self.name).split())

    def save(self) -> None:
        """Keeps the output in bench/report/, so a later partial run can still report it."""
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        header = f"# {stamp} exit={self.returncode} seconds={self.seconds:.0f}\n"
        (OUT / f"{self.key}.txt").write_text(header + self.output)

    def load(self) -> None:
        """The saved output of an earlier run, when this one is not run now."""
        path = OUT / f"{self.key}.txt"
        if path.exists():
            header, _, self.output = path.read_text().partition("\n")
            fields = dict(f.split("=", 1) for f in header.split() if "=" in f)
            self.returncode = int(fields.get("exit", "0"))
            self.seconds = float(fields.get("seconds", "0"))
            self.notes.append(f"from an earlier run ({header[2:18]})")

    @property
    def last_line(self) -> str:
        lines = [line for line in self.output.splitlines() if "=" in line]
        return lines[-1].strip() if lines else ""

    def run(self) -> None:
        script = ROOT / self.argv[0]
        if not script.exists():
            self.notes.append(f"not run: {self.argv[0]} does not exist yet")
            return
        print(f"== {self.name}: {' '.join(self.argv)}", flush=True)
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, *self.argv], cwd=ROOT, capture_output=True, text=True, check=False
        )
        self.seconds = time.monotonic() - started
        self.returncode = proc.returncode
        self.output = proc.stdout + ("\n" + proc.stderr if proc.stderr else "")
        self.save()
        print(self.last_line or f"(exit {proc.returncode})", flush=True)


def benches(soak_minutes: float) -> list[Bench]:
    """Every benchmark `make bench` runs, in order."""
    OUT.mkdir(exist_ok=True)
    curve, soak = OUT / "load_curve.json", OUT / "soak.json"
    return [
        Bench("worker, 32 one-sentence clients", ["bench/worker.py"]),
        Bench(
            "worker, 128 clients", ["bench/worker.py", "--clients", "128", "--sentences", "1024"]
        ),
        Bench("worker, beam 4", ["bench/worker.py", "--beam", "4"]),
        Bench("router", ["bench/router.py"]),
        Bench("language ID (held-out)", ["bench/langid.py"]),
        Bench("batch documents", ["bench/batch.py"]),
        Bench("load curve", ["bench/load_curve.py", "--json", str(curve)], json_file=curve),
        Bench(
            "soak",
            ["bench/soak.py", "--minutes", str(soak_minutes), "--json", str(soak)],
            json_file=soak,
        ),
    ]


def machine() -> list[str]:
    """What the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    import ctranslate2
    import grpc

    return [
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit `{commit}`",
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; memory {mem_kb / 2**20:.0f} GiB",
        f"- load average at start: {os.getloadavg()[0]:.2f} (other work on the machine skews "
        "absolute figures; ratios measured in one run much less)",
        f"- {platform.platform()}, Python {platform.python_version()}, "
        f"CTranslate2 {ctranslate2.__version__}, grpcio {grpc.__version__}",
        "- models: demo models (real architecture, random weights); bench/worker.py builds an "
        "opus-mt-zh-en-shaped model",
    ]


def plots(curve: Path, soak: Path, out: Path = OUT) -> list[str]:
    """PNG plots from the load curve and the soak, written in `out`; Markdown image lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = []
    if curve.exists():
        rows = json.loads(curve.read_text())
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        for mode in sorted({r["mode"] for r in rows}):
            points = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["clients"])
            xs = [r["clients"] for r in points]
            left.plot(xs, [r["calls_per_s"] for r in points], marker="o", label=mode)
            for q, style in (("p50", "-"), ("p95", "--"), ("p99", ":")):
                right.plot(
                    xs, [r[f"{q}_ms"] for r in points], style, marker=".", label=f"{mode} {q}"
                )
        left.set(
            xscale="log",
            xlabel="concurrent clients",
            ylabel="calls/s",
            title="Router throughput (1 sentence per call)",
        )
        right.set(
            xscale="log",
            yscale="log",
            xlabel="concurrent clients",
            ylabel="ms",
            title="Latency percentiles",
        )
        for axis in (left, right):
            axis.grid(True, alpha=0.3)
            axis.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "load_curve.png", dpi=110)
        images.append("![throughput and latency against clients](report/load_curve.png)")
    if soak.exists():
        memory = json.loads(soak.read_text())["memory"]
        fig, axis = plt.subplots(figsize=(7, 3.5))
        for name in (k for k in memory[0] if k != "t"):
            axis.plot([m["t"] / 60 for m in memory], [m[name] for m in memory], label=name)
        axis.set(xlabel="minutes", ylabel="RSS MB", title="Resident memory during the soak")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "soak_memory.png", dpi=110)
        images.append("![memory during the soak](report/soak_memory.png)")
    return images


def write_report(runs: list[Bench], images: list[str], path: Path = BENCH / "REPORT.md") -> Path:
    lines = ["# Duta benchmark report", "", "Written by `make bench` (`bench/report.py`).", ""]
    lines += ["## Machine", "", *machine(), "", "## Results (each benchmark's last line)", ""]
    lines += ["| benchmark | seconds | result |", "|---|---:|---|"]
    for run in runs:
        result = f"`{run.last_line}`" if run.last_line else ""
        if run.returncode:
            result = f"**failed (exit {run.returncode})** {result}"
        note = f" ({'; '.join(run.notes)})" if run.notes else ""
        lines.append(f"| {run.name} | {run.seconds:.0f} | {result}{note} |")
    lines += ["", "## Plots", "", *images, "", "## Full outputs", ""]
    for run in runs:
        if run.output:
            lines += [
                f"<details><summary>{run.name}: <code>{' '.join(run.argv)}</code></summary>",
                "",
                "```",
                run.output.strip(),
                "```",
                "</details>",
                "",
            ]
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        help="comma-separated names: worker,router,langid,batch,load_curve,soak (default: all)",
    )
    parser.add_argument("--soak-minutes", type=float, default=10.0)
    args = parser.parse_args()
    runs = benches(args.soak_minutes)
    wanted = set(args.only.split(",")) if args.only else None
    for run in runs:
        if wanted is None or Path(run.argv[0]).stem in wanted:
            run.run()
        else:
            run.load()
    images = plots(OUT / "load_curve.json", OUT / "soak.json")
    print(f"wrote {write_report(runs, images)}")
    return 0 if all(r.returncode in (0, None) for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
