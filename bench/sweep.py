"""Compare CMI settings (weights files, config overrides) by one-pass mean IoU on VOT-layout folders.

Run: python -m bench.sweep --root DIR [--root DIR ...] [--out OUT] [--jobs N] NAME:key=value,key=value ...

Each (entry, folder) pair runs in its own process (``--jobs`` at a time, each with the config's ``threads``),
from an empty results folder. Prints and writes OUT/sweep.md (mean IoU over each folder's sequences, and the mean
of those) and OUT/sweep.json (every report). Used to choose a training recipe on development data.
"""
from __future__ import annotations

import argparse
import json
import sys
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.real import run_entry

REPO = Path(__file__).resolve().parent.parent


def parse_entry(text: str) -> tuple[str, list[str]]:
    """'NAME:k=v,k=v' -> (NAME, ['k=v', 'k=v']); 'NAME' alone runs the defaults."""
    name, _, rest = text.partition(":")
    overrides = [o for o in rest.split(",") if o]
    bad = [o for o in overrides if "=" not in o]
    if not name or bad:
        raise ValueError(f"entry {text!r}: expected NAME or NAME:key=value,key=value")
    return name, overrides


def _job(name: str, overrides: list[str], root: Path, out: Path) -> dict:
    return run_entry(name, root, out / root.name, overrides)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append", required=True, help="VOT-layout folder, repeatable")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "work" / "sweep")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("entries", nargs="+", metavar="NAME:key=value,...")
    args = parser.parse_args(argv)
    try:
        entries = dict(parse_entry(e) for e in args.entries)
    except ValueError as err:
        print(f"bench.sweep: {err}", file=sys.stderr)
        return 2
    missing = [str(r) for r in args.root if not (r / "list.txt").is_file()]
    if missing:
        print(f"bench.sweep: no VOT-layout folder (list.txt) at {', '.join(missing)}", file=sys.stderr)
        return 2
    # spawn, not fork: a forked child of a process that already started torch's OpenMP pool can stall.
    with ProcessPoolExecutor(max(1, args.jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {(name, root.name): pool.submit(_job, name, ov, root, args.out)
                   for name, ov in entries.items() for root in args.root}
        reports = {key: f.result() for key, f in futures.items()}
    roots = [r.name for r in args.root]
    lines = ["| entry | " + " | ".join(roots) + " | mean |", "|---" * (len(roots) + 2) + "|"]
    for name in entries:
        ious = [reports[name, r]["IoU"] for r in roots]
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in ious) + f" | **{sum(ious) / len(ious):.3f}** |")
    text = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sweep.md").write_text(f"One pass from frame 1, mean IoU over sequences\n\n{text}\n")
    (args.out / "sweep.json").write_text(json.dumps(
        {"entries": entries, "reports": {f"{n}|{r}": rep for (n, r), rep in reports.items()}}, indent=1, default=str))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
