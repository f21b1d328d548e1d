"""bench.summary: the kind of each real sequence, and per-kind means pooled over track seeds."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.summary import main, sequence_kind


def _sequence(root: Path, name: str, color: np.ndarray, ir: np.ndarray) -> None:
    d = root / name
    for channel, image in (("color", color), ("ir", ir)):
        (d / channel).mkdir(parents=True)
        cv2.imwrite(str(d / channel / "00000001.png"), image)
    (d / "sequence").write_text("channels.color=color/%08d.png\nchannels.ir=ir/%08d.png\n")
    (d / "groundtruth.txt").write_text("10,10,20,20\n")


@pytest.fixture
def real(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    color = rng.integers(0, 256, (48, 64, 3), np.uint8)
    thermal = rng.integers(0, 256, (48, 64), np.uint8)
    _sequence(tmp_path, "rgbt", color, thermal)
    _sequence(tmp_path, "thermal", np.repeat(thermal[..., None], 3, axis=2), thermal)
    _sequence(tmp_path, "rgb", color, cv2.cvtColor(color, cv2.COLOR_BGR2GRAY))
    return tmp_path


def test_sequence_kind_tells_rgbt_thermal_and_rgb_apart(real):
    assert [sequence_kind(real / n) for n in ("rgbt", "thermal", "rgb")] == ["RGB-T", "thermal", "RGB"]


def test_seeds_are_pooled_into_mean_and_sd_per_kind(real, tmp_path, capsys):
    ious = {"A-s0": (0.2, 0.4, 0.6), "A-s1": (0.4, 0.6, 0.8), "B": (0.5, 0.5, 0.5)}
    out = tmp_path / "sweep"
    out.mkdir()
    reports = {f"{k}|x": {"per_sequence": {n: {"IoU": v} for n, v in zip(("rgbt", "thermal", "rgb"), vals)}}
               for k, vals in ious.items()}
    (out / "sweep.json").write_text(json.dumps({"reports": reports}))
    assert main(["--root", str(real), str(out)]) == 0
    rows = {line.split(" (")[0].strip("| "): line for line in capsys.readouterr().out.splitlines()[2:]}
    # A: per seed RGB-T 0.2 / 0.4, thermal 0.4 / 0.6, RGB 0.6 / 0.8, all 0.4 / 0.6
    assert rows["A"] == "| A (2) | 0.300 ± 0.141 | 0.500 ± 0.141 | 0.700 ± 0.141 | 0.500 ± 0.141 |"
    assert rows["B"] == "| B (1) | 0.500 | 0.500 | 0.500 | 0.500 |"


def test_runs_on_other_roots_are_left_out(real, tmp_path, capsys):
    """A sweep over several roots holds reports of sequences that are not under --root: they are not pooled in."""
    out = tmp_path / "sweep"
    out.mkdir()
    reports = {"A-s0|x": {"per_sequence": {n: {"IoU": 0.5} for n in ("rgbt", "thermal", "rgb")}},
               "A-s0|generated": {"per_sequence": {"00-fold": {"IoU": 0.1}}}}
    (out / "sweep.json").write_text(json.dumps({"reports": reports}))
    assert main(["--root", str(real), str(out)]) == 0
    assert "| A (1) | 0.500 | 0.500 | 0.500 | 0.500 |" in capsys.readouterr().out
    (out / "sweep.json").write_text(json.dumps({"reports": {"A-s0|generated": reports["A-s0|generated"]}}))
    with pytest.raises(SystemExit):
        main(["--root", str(real), str(out)])
    assert "tracked the sequences of" in capsys.readouterr().err


def test_against_pairs_runs_by_track_seed(real, tmp_path, capsys):
    """--against: differences at the seeds both trackers ran (B-s5 has no partner, C no seed), per kind and per
    sequence."""
    ious = {"A-s0": (0.2, 0.4, 0.6), "A-s1": (0.4, 0.6, 0.8), "B-s0": (0.3, 0.4, 0.5), "B-s1": (0.6, 0.6, 0.6),
            "B-s5": (0.0, 0.0, 0.0), "C": (0.9, 0.9, 0.9)}
    out = tmp_path / "sweep"
    out.mkdir()
    reports = {f"{k}|x": {"per_sequence": {n: {"IoU": v} for n, v in zip(("rgbt", "thermal", "rgb"), vals)}}
               for k, vals in ious.items()}
    (out / "sweep.json").write_text(json.dumps({"reports": reports}))
    assert main(["--root", str(real), "--against", "A", str(out)]) == 0
    text = capsys.readouterr().out
    # B - A at seeds 0 and 1: RGB-T +0.1 / +0.2, thermal 0 / 0, RGB -0.1 / -0.2, all 0 / 0
    assert "| B (2) | +0.150 ± 0.071 | +0.000 ± 0.000 | -0.150 ± 0.071 | +0.000 ± 0.000 |" in text
    assert "| C (" not in text.split("Paired against A")[1]
    assert "| rgbt | RGB-T | 0.300 | +0.150 |" in text
    with pytest.raises(SystemExit):
        main(["--root", str(real), "--against", "C", str(out)])
    assert "no run named C-sN" in capsys.readouterr().err
