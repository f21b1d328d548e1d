"""Mean IoU per kind of sequence (RGB-T, thermal only, RGB only) from ``bench.sweep`` runs, seeds pooled.

Run: python -m bench.summary [--root ../shared/data/real-rgbt] [--against NAME] SWEEP_OUT [SWEEP_OUT ...]

Entries named ``NAME-sN`` are one tracker at track seed N: their mean and sd over seeds are reported. A sequence's
kind is read from its first frame: colour whose three channels are equal is a thermal-only sequence, thermal equal
to the colour frame's grey copy an RGB-only one, anything else RGB-T.

``--against NAME`` adds the paired comparison a change is decided by: for every other tracker run at some of
NAME's track seeds, the mean and sd over those seeds of its difference to NAME, per kind, and the mean difference
per sequence.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from bench.real import DEFAULT_ROOT
from tracker.data.datasets import read_sequence


def sequence_kind(seq_dir: Path) -> str:
    seq = read_sequence("vot", seq_dir)
    color, ir = cv2.imread(str(seq.color[0])), cv2.imread(str(seq.ir[0]), cv2.IMREAD_GRAYSCALE)
    if np.abs(color.astype(int) - color[..., :1]).max() <= 2:
        return "thermal"
    grey = cv2.cvtColor(color, cv2.COLOR_BGR2GRAY)
    return "RGB" if grey.shape == ir.shape and np.abs(grey.astype(int) - ir).mean() < 3 else "RGB-T"


def entry(key: str) -> tuple[str, Optional[int]]:
    """``NAME-sN|dataset`` -> (NAME, N); an entry without a seed suffix has seed None."""
    m = re.fullmatch(r"(.*)-s(\d+)", key.split("|")[0])
    return (m.group(1), int(m.group(2))) if m else (key.split("|")[0], None)


def kind_mean(report: dict, kinds: dict[str, str], kind: Optional[str]) -> float:
    """Mean IoU over the sequences of ``kind`` (None: all of them)."""
    return statistics.mean(report["per_sequence"][s]["IoU"] for s in kinds if kind in (None, kinds[s]))


def mean_sd(values: list[float], signed: bool = False) -> str:
    sd = f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else ""
    return f"{signed_zero(statistics.mean(values)):{'+' if signed else ''}.3f}{sd}"


def signed_zero(x: float) -> float:
    """``x`` rounded to 3 decimals, with no negative zero: a difference of -0.0004 prints as +0.000."""
    return round(x, 3) + 0.0


def paired(runs: dict[str, list[tuple[Optional[int], dict]]], base: str, kinds: dict[str, str],
           order: list[str]) -> None:
    """Per tracker, its differences to ``base`` at their common track seeds: per kind, then per sequence."""
    ref = {seed: report for seed, report in runs[base] if seed is not None}
    pairs = {name: [(r, ref[seed]) for seed, r in reports if seed in ref]
             for name, reports in runs.items() if name != base}
    pairs = {name: p for name, p in pairs.items() if p}
    print(f"\nPaired against {base} (the same track seeds): mean ± sd of the per-seed differences\n")
    print(f"| tracker (seeds) | {' | '.join(order)} | all |")
    print("|---" * (len(order) + 2) + "|")
    for name, p in pairs.items():
        cells = [mean_sd([kind_mean(a, kinds, k) - kind_mean(b, kinds, k) for a, b in p], signed=True)
                 for k in (*order, None)]
        print(f"| {name} ({len(p)}) | " + " | ".join(cells) + " |")
    print(f"\n| sequence | kind | {base} | " + " | ".join(pairs) + " |")
    print("|---" * (len(pairs) + 3) + "|")
    for s in kinds:
        own = statistics.mean(r["per_sequence"][s]["IoU"] for r in ref.values())
        diffs = [[a["per_sequence"][s]["IoU"] - b["per_sequence"][s]["IoU"] for a, b in p] for p in pairs.values()]
        cells = [f"{signed_zero(statistics.mean(d)):+.3f}" for d in diffs]
        print(f"| {s} | {kinds[s]} | {own:.3f} | " + " | ".join(cells) + " |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the VOT-layout folder the runs tracked")
    parser.add_argument("--against", metavar="NAME", help="also compare every tracker with NAME, paired by seed")
    parser.add_argument("runs", nargs="+", type=Path, help="bench.sweep --out folders")
    args = parser.parse_args(argv)
    runs: dict[str, list[tuple[Optional[int], dict]]] = {}  # tracker -> (track seed, report) per run
    for out in args.runs:
        data = json.loads((out / "sweep.json").read_text())
        for key, report in data["reports"].items():
            if all((args.root / name).is_dir() for name in report["per_sequence"]):  # a sweep may track other roots
                name, seed = entry(key)
                runs.setdefault(name, []).append((seed, report))
    if not runs:
        parser.error(f"no run in {', '.join(map(str, args.runs))} tracked the sequences of {args.root}")
    if args.against is not None and not any(seed is not None for seed, _ in runs.get(args.against, [])):
        parser.error(f"--against {args.against}: no run named {args.against}-sN (one per track seed) in these runs")
    first = next(iter(runs.values()))[0][1]
    kinds = {s: sequence_kind(args.root / s) for s in first["per_sequence"]}
    order = [k for k in ("RGB-T", "thermal", "RGB") if k in kinds.values()]
    counts = " / ".join(f"{sum(v == k for v in kinds.values())} {k}" for k in order)
    print(f"| tracker (seeds) | {' | '.join(order)} | all {len(kinds)} ({counts}) |")
    print("|---" * (len(order) + 2) + "|")
    for name, reports in runs.items():
        cells = [mean_sd([kind_mean(r, kinds, k) for _, r in reports]) for k in (*order, None)]
        print(f"| {name} ({len(reports)}) | " + " | ".join(cells) + " |")
    if args.against is not None:
        paired(runs, args.against, kinds, order)
    return 0


if __name__ == "__main__":
    sys.exit(main())
