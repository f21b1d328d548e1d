"""`make real`: one-pass runs on real RGB-T footage (a VOT-layout folder), scored per sequence and overall.

Run: python -m bench.real [--root ../shared/data/real-rgbt] [--out bench/work/real] [NAME ...]

Each entry of ENTRIES is a tracker with config overrides; every run starts from an empty results folder
(results are never reused: weights or code may have changed since). Prints mean IoU, success (AUC) and
mean centre error per tracker and the mean IoU per sequence, and writes them to OUT/real.md.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from tracker.config import Config
from tracker.evaluate import run as evaluate_run

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO.parent / "shared" / "data" / "real-rgbt"
# name -> (tracker, overrides)
ENTRIES = {
    "CMI": ("cmi", []),
    "CMI-base": ("cmi", ("track.color_gain=1 track.night_light=0 track.motion_prior=0 track.redetect_local=0 "
                         "track.collect_score=0 track.failure_expand=1 track.redetect=0 track.translation_filter=false "
                         "track.scale_filter=false track.update_stop_loss=0 track.modality_dropout=false "
                         "track.far_neg=0 track.scale_lr=1 track.bbreg_verify=false "
                         "track.bbreg_per_modality=false").split()),
    "CMI-fast": ("cmi", ["track.candidates=128", "track.hard_neg_pool=128", "track.batch_neg=48"]),
    "CMI-offline": ("cmi", ["weights=models/cmi.pth"]),
    "CMI-concat": ("cmi", ["model.cmi_mode=none", "weights=models/cmi-concat.pth"]),
    "CSRT-RGB": ("csrt-rgb", []),
    "CSRT-TIR": ("csrt-tir", []),
    "NCC-RGBT": ("ncc", []),
}


def run_entry(name: str, root: Path, out: Path, overrides=()) -> dict:
    tracker, base = ENTRIES.get(name, ("cmi", []))
    args = argparse.Namespace(dataset="vot", root=root, split=None, sequences=None, results=out,
                              tracker=tracker, name=name)
    shutil.rmtree(out / name, ignore_errors=True)
    report, _, _ = evaluate_run(args, Config.load(None, [*base, *overrides]))
    return report


def table(reports: dict) -> str:
    seqs = next(iter(reports.values()))["sequences"]
    lines = ["| tracker | " + " | ".join(seqs) + " | mean IoU | SR | CE px |",
             "|---" * (len(seqs) + 4) + "|"]
    for name, r in reports.items():
        per = " | ".join(f"{r['per_sequence'][s]['IoU']:.3f}" for s in seqs)
        lines.append(f"| {name} | {per} | **{r['IoU']:.3f}** | {r['SR']:.3f} | {r['CE']:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.real", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="VOT-layout folder of real sequences")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "work" / "real")
    parser.add_argument("names", nargs="*", default=list(ENTRIES), help=f"entries (default all: {', '.join(ENTRIES)})")
    args = parser.parse_args(argv)
    if not (args.root / "list.txt").is_file():
        print(f"bench.real: no real sequences at {args.root} (expected a VOT-layout folder with list.txt; "
              "pass --root)", file=sys.stderr)
        return 2
    unknown = [n for n in args.names if n not in ENTRIES]
    if unknown:
        print(f"bench.real: unknown entry {', '.join(unknown)}; expected some of {', '.join(ENTRIES)}", file=sys.stderr)
        return 2
    reports = {}
    for name in args.names:
        start = time.time()
        reports[name] = run_entry(name, args.root, args.out)
        print(f"{name}: mean IoU {reports[name]['IoU']:.3f} ({time.time() - start:.0f} s)", flush=True)
    text = table(reports)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "real.md").write_text(f"One pass from frame 1 on {args.root}\n\n{text}\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
