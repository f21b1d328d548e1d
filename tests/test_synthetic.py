"""The generator is deterministic, loads in the toolkit, and its phenomena are real."""
from __future__ import annotations

import filecmp
from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker.data.synthetic import KINDS, MIXES, generate_dataset, generate_sequence, load_sequence


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("syn")
    generate_dataset(root, sequences=8, frames=40, seed=5)
    return root


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def test_same_seed_same_bytes(tmp_path):
    for run in ("a", "b"):
        generate_dataset(tmp_path / run, sequences=2, frames=6, seed=3)
    generate_dataset(tmp_path / "c", sequences=2, frames=6, seed=4)
    assert _same_tree(tmp_path / "a", tmp_path / "b")
    assert not _same_tree(tmp_path / "a", tmp_path / "c")


def test_toolkit_loads_every_sequence(dataset):
    from vot.dataset import load_dataset
    from vot.region import Rectangle

    loaded = load_dataset(str(dataset))
    names = (dataset / "list.txt").read_text().split()
    assert len(names) == 8 and set(MIXES[i] for i in range(8)) and {k for mix in MIXES for k in mix} == set(KINDS)
    sizes = set()
    for name in names:
        seq = loaded[name]
        assert set(seq.channels()) == {"color", "ir"} and len(seq) == 40
        assert isinstance(seq.frame(0).groundtruth(), Rectangle)
        anchors = [i for i in range(len(seq)) if seq.values(i).get("anchor", 0) > 0]
        assert anchors and anchors[0] == 0
        sizes.add((seq.width, seq.height))
        ir = cv2.imread(str(dataset / name / "ir" / "00000001.jpg"), cv2.IMREAD_UNCHANGED)
        assert ir.ndim == 2  # 1-channel 8-bit thermal on disk
    assert sizes == {(640, 480), (630, 460)}
    night = loaded[names[1]]
    assert any("night" in night.tags(i) for i in range(len(night)))


def _contrast(image: np.ndarray, box: np.ndarray) -> tuple[float, float]:
    """(mean inside the box, mean of a ring around it)."""
    x, y, w, h = box.astype(int)
    inner = image[y : y + h, x : x + w].astype(float)
    outer = image[max(y - h // 2, 0) : y + h + h // 2, max(x - w // 2, 0) : x + w + w // 2].astype(float)
    ring_sum = outer.sum() - inner.sum()
    ring_n = outer[..., 0].size - inner[..., 0].size if outer.ndim == 3 else outer.size - inner.size
    return float(inner.mean()), float(ring_sum / max(ring_n * (3 if outer.ndim == 3 else 1), 1))


def test_night_and_crossover_are_real(tmp_path):
    seq = generate_sequence(tmp_path / "n", frames=60, seed=1, kinds=("night", "crossover"))
    color, ir, gt, tags = load_sequence(seq)
    day = np.flatnonzero(~tags["night"] & ~tags["crossover"])
    night, cross = np.flatnonzero(tags["night"] & ~tags["crossover"]), np.flatnonzero(tags["crossover"])
    assert len(day) and len(night) and len(cross)
    brightness = lambda i: cv2.imread(color[i]).mean()
    assert np.mean([brightness(i) for i in night]) < 0.3 * np.mean([brightness(i) for i in day])
    warm = lambda i: np.subtract(*_contrast(cv2.imread(ir[i], 0), gt[i]))
    assert min(warm(i) for i in day if not tags["night"][i] or True) > 40  # target warmer than surroundings
    assert max(abs(warm(i)) for i in cross) < 25
    rgb_contrast = lambda i: np.abs(cv2.imread(color[i]).astype(float)[
        int(gt[i][1]) : int(gt[i][1] + gt[i][3]), int(gt[i][0]) : int(gt[i][0] + gt[i][2])].std())
    assert np.mean([rgb_contrast(i) for i in cross]) > 15  # RGB still textured during crossover


def test_occluder_covers_the_target(tmp_path):
    seq = generate_sequence(tmp_path / "o", frames=80, seed=2, kinds=("occlusion",))
    color, ir, gt, tags = load_sequence(seq)
    occluded = np.flatnonzero(tags["occlusion"])
    mid = occluded[len(occluded) // 2]
    x, y, w, h = gt[mid].astype(int)
    inside = cv2.imread(ir[mid], 0)[y : y + h, x : x + w].astype(float).mean()
    before = cv2.imread(ir[occluded[0] - 5], 0)
    x0, y0, w0, h0 = gt[occluded[0] - 5].astype(int)
    assert inside < before[y0 : y0 + h0, x0 : x0 + w0].astype(float).mean() - 40  # the warm target is hidden


def test_unknown_kind_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="unknown kinds"):
        generate_sequence(tmp_path / "x", frames=5, seed=0, kinds=("fog",))
