"""EAO/A/R per group of sequences (e.g. per data seed) from a toolkit workspace's existing results, with the
mean and spread over groups.

The toolkit's EAO pools every sequence of a workspace. This tool builds, for each group, a view of the workspace
that holds only that group's sequences (symbolic links to the sequences and stored results, nothing re-run) and
runs ``vot analysis`` on it, so a multi-seed toolkit run also reports its spread over seeds.

Run: .venv/bin/python -m bench.per_group --workspace W --group shapes-61='^[0-9]' --group photo-71='^photo-' ... [TRACKER ...]
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from tracker.data.datasets import sequence_names
from tracker.toolkit import ToolkitError, analyze, read_analysis, registered_trackers


def group_view(workspace: Path, out: Path, sequences: Sequence[str], trackers: Sequence[str]) -> Path:
    """A workspace at ``out`` with only ``sequences``: links to their folders and to each tracker's results."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "sequences").mkdir(parents=True)
    (out / "sequences" / "list.txt").write_text("".join(f"{s}\n" for s in sequences))
    for s in sequences:
        (out / "sequences" / s).symlink_to(workspace / "sequences" / s)
    for tracker in trackers:
        for experiment in (workspace / "results" / tracker).iterdir():
            target = out / "results" / tracker / experiment.name
            target.mkdir(parents=True)
            for s in sequences:
                if (experiment / s).exists():
                    (target / s).symlink_to(experiment / s)
    # The registry paths in config.yaml are relative to the workspace: resolve them against the original one.
    config = (workspace / "config.yaml").read_text()
    (out / "config.yaml").write_text(re.sub(r"^(- )(?!/)(.+)$", lambda m: f"{m[1]}{workspace / m[2]}", config,
                                            flags=re.M))
    return out


def sd(values: np.ndarray) -> float:
    """Sample standard deviation (0 for a single value)."""
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.per_group", description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--group", action="append", required=True, metavar="NAME=REGEX",
                        help="sequences whose name matches REGEX (re.search) form group NAME")
    parser.add_argument("--out", type=Path, help="where the group views go (default: WORKSPACE-groups)")
    parser.add_argument("trackers", nargs="*", help="tracker identifiers (default: all registered)")
    args = parser.parse_args(argv)
    workspace = args.workspace.resolve()
    out = (args.out or workspace.with_name(workspace.name + "-groups")).resolve()
    trackers = args.trackers or registered_trackers(workspace)
    names = sequence_names(workspace / "sequences")
    groups = {}
    for spec in args.group:
        name, _, pattern = spec.partition("=")
        groups[name] = [s for s in names if re.search(pattern, s)]
        if not groups[name]:
            print(f"group {name}: no sequence of {workspace} matches {pattern!r}", file=sys.stderr)
            return 2
    scores = {}
    try:
        for name, sequences in groups.items():
            view = group_view(workspace, out / name, sequences, trackers)
            scores[name] = read_analysis(analyze(view, trackers))
            print(f"group {name}: {len(sequences)} sequences analysed", flush=True)
    except ToolkitError as err:
        print(err, file=sys.stderr)
        return 1
    # The groups differ in difficulty far more than the trackers do: the paired difference to the first tracker,
    # group by group, says whether a lead is larger than the spread over groups.
    first = np.array([scores[g][trackers[0]]["eao"] for g in groups])
    header = " | ".join(groups)
    print(f"\n| tracker | EAO {header} | mean EAO +- sd | EAO - {trackers[0]}, mean +- sd | mean A | mean R |")
    print("|---|" + "---|" * (len(groups) + 4))
    for tracker in trackers:
        eao = np.array([scores[g][tracker]["eao"] for g in groups])
        diff = eao - first
        acc = np.mean([scores[g][tracker]["accuracy"] for g in groups])
        rob = np.mean([scores[g][tracker]["robustness"] for g in groups])
        cells = " | ".join(f"{v:.3f}" for v in eao)
        print(f"| {tracker} | {cells} | {eao.mean():.3f} +- {sd(eao):.3f} | {diff.mean():+.3f} +- {sd(diff):.3f} | "
              f"{acc:.3f} | {rob:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
