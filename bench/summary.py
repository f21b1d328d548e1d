"""Mean IoU per kind of sequence (RGB-T, thermal only, RGB only) from ``bench.sweep`` runs, seeds pooled.

Run: python -m bench.summary [--root ../shared/data/real-rgbt] SWEEP_OUT [SWEEP_OUT ...]

Entries named ``NAME-sN`` are one tracker at track seed N: their mean and sd over seeds are reported. A sequence's
kind is read from its first frame: colour whose three channels are equal is a thermal-only sequence, thermal equal
to the colour frame's grey copy an RGB-only one, anything else RGB-T.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the VOT-layout folder the runs tracked")
    parser.add_argument("runs", nargs="+", type=Path, help="bench.sweep --out folders")
    args = parser.parse_args(argv)
    runs: dict[str, list[dict]] = {}  # tracker -> one report per seed
    for out in args.runs:
        data = json.loads((out / "sweep.json").read_text())
        for key, report in data["reports"].items():
            if all((args.root / name).is_dir() for name in report["per_sequence"]):  # a sweep may track other roots
                runs.setdefault(re.sub(r"-s\d+$", "", key.split("|")[0]), []).append(report)
    if not runs:
        parser.error(f"no run in {', '.join(map(str, args.runs))} tracked the sequences of {args.root}")
    first = next(iter(runs.values()))[0]
    kinds = {s: sequence_kind(args.root / s) for s in first["per_sequence"]}
    order = [k for k in ("RGB-T", "thermal", "RGB") if k in kinds.values()]
    counts = " / ".join(f"{sum(v == k for v in kinds.values())} {k}" for k in order)
    print(f"| tracker (seeds) | {' | '.join(order)} | all {len(kinds)} ({counts}) |")
    print("|---" * (len(order) + 2) + "|")
    for name, reports in runs.items():
        cells = []
        for kind in (*order, None):
            per_seed = [statistics.mean(r["per_sequence"][s]["IoU"] for s in kinds if kind in (None, kinds[s]))
                        for r in reports]
            sd = f" ± {statistics.stdev(per_seed):.3f}" if len(per_seed) > 1 else ""
            cells.append(f"{statistics.mean(per_seed):.3f}{sd}")
        print(f"| {name} ({len(reports)}) | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
