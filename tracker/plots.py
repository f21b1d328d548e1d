"""Matplotlib figures of the toolkit's measurements: EAO curves and the accuracy-robustness plane."""
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
