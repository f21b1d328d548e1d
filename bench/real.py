"""`make real`: one-pass runs on real RGB-T footage (a VOT-layout folder), scored per sequence and overall.

Run: python -m bench.real [--root ../shared/data/real-rgbt] [--out bench/work/real] [NAME ...]

Each entry is one of trackers.ini's (a tracker with config overrides); every run starts from an empty results folder
(results are never reused: weights or code may have changed since). Prints mean IoU, success (AUC) and
mean centre error per tracker and the mean IoU per sequence, and writes them to OUT/real.md.
"""
from __future__ import annotations

import argparse
import ast
import configparser
import shutil
import sys
import time
from pathlib import Path

from tracker.config import Config
from tracker.evaluate import run as evaluate_run

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO.parent / "shared" / "data" / "real-rgbt"
DEFAULT_ENTRIES = ("CMI", "CMI-base", "CMI-offline", "CMI-concat", "CSRT-RGB", "CSRT-TIR", "NCC-RGBT")


def registered(path: Path = REPO / "trackers.ini") -> dict[str, tuple[str, list[str]]]:
    """trackers.ini's entries as name -> (tracker, config overrides): the arguments each passes to tracker.vot, so a
    run here is the entry the toolkit runs."""
    registry = configparser.ConfigParser()
    registry.read(path)
    entries = {}
    for name in registry.sections():
        command = registry[name]["command"]
        call = command.split("t.main(", 1)[1].rsplit("))", 1)[0] if "t.main(" in command else ""
        args = ast.literal_eval(f"[{call}]")
        tracker = args[args.index("--tracker") + 1] if "--tracker" in args else "cmi"
        entries[name] = (tracker, [a for a in args if a not in ("--tracker", tracker)])
    return entries


ENTRIES = registered()  # name -> (tracker, overrides)


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
    parser.add_argument("names", nargs="*", default=list(DEFAULT_ENTRIES),
                        help=f"trackers.ini entries (default: {', '.join(DEFAULT_ENTRIES)})")
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
