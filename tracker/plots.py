"""Matplotlib figures: the toolkit's EAO curves and accuracy-robustness plane, the RGB-T benchmarks' PR/SR curves."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # files only; benchmarks run headless
import matplotlib.pyplot as plt  # noqa: E402


def plot_eao_curves(curves: Mapping[str, Sequence[float]], eao: Mapping[str, float], out: Path,
                    interval: tuple[int, int] = (115, 755)) -> Path:
    """Expected overlap against sequence length per tracker; the shaded band is the EAO averaging interval."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for tracker in sorted(curves, key=lambda t: -eao.get(t, 0)):
        ax.plot(range(1, len(curves[tracker]) + 1), curves[tracker], label=f"{tracker} ({eao.get(tracker, 0):.3f})")
    ax.axvspan(*interval, color="0.9", zorder=0)
    ax.set(xlabel="sequence length (frames)", ylabel="expected overlap", ylim=(0, 1), title="EAO curves")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_ar(points: Mapping[str, tuple[float, float]], out: Path) -> Path:
    """Accuracy (y) against robustness (x) per tracker: up and right is better."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for tracker, (accuracy, robustness) in points.items():
        ax.scatter(robustness, accuracy, s=40)
        ax.annotate(tracker, (robustness, accuracy), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set(xlabel="robustness", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1), title="Accuracy-robustness")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


PRECISION_METRICS = ("PR", "MPR", "NPR")
SUCCESS_METRICS = ("SR", "MSR")
_LABELS = {
    "PR": ("Location error threshold (px)", "Precision", "Precision plot"),
    "MPR": ("Location error threshold (px)", "Maximum precision", "Precision plot (MPR)"),
    "NPR": ("Normalized location error threshold", "Normalized precision", "Normalized precision plot"),
    "SR": ("Overlap threshold", "Success rate", "Success plot"),
    "MSR": ("Overlap threshold", "Maximum success rate", "Success plot (MSR)"),
}


def plot_curves(curves_by_tracker: Mapping[str, Mapping], out_png: str | Path) -> Path:
    """One PNG with a precision and a success panel (plus NPR on LasHeR), trackers ranked by score.

    ``curves_by_tracker`` maps a tracker name to its :func:`evaluate` report; the legend shows each
    tracker's score, as in the papers' figures.
    """
    metrics = [m for m in PRECISION_METRICS + SUCCESS_METRICS
               if any(m in report.get("curves", {}) for report in curves_by_tracker.values())]
    if not metrics:
        raise ValueError("no curves to plot")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4.2), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        ranked = sorted((t for t, r in curves_by_tracker.items() if m in r.get("curves", {})),
                        key=lambda t: -curves_by_tracker[t][m])
        for tracker in ranked:
            thresholds, values = curves_by_tracker[tracker]["curves"][m]
            ax.plot(thresholds, values, label=f"{tracker} [{curves_by_tracker[tracker][m]:.3f}]")
        xlabel, ylabel, title = _LABELS[m]
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title, ylim=(0, 1.02),
               xlim=(float(thresholds[0]), float(thresholds[-1])))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right" if m in PRECISION_METRICS else "lower left")
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=120)
    plt.close(fig)
    return out_png
