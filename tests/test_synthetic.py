"""The generator is deterministic, loads in the toolkit, and its phenomena are real."""
from __future__ import annotations

import filecmp
from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker.data import synthetic
from tracker.data.datasets import read_sequence
from tracker.data.synthetic import KINDS, MIXES, OPT_IN_KINDS, generate_dataset, generate_sequence, main


def load_sequence(seq_dir):
    """(color paths, ir paths, ground truth, tags) of a generated sequence, through the package's VOT reader."""
    seq = read_sequence("vot", seq_dir)
    return [str(p) for p in seq.color], [str(p) for p in seq.ir], seq.boxes, seq.tags


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
    assert len(names) == 8 and {k for mix in MIXES for k in mix} == set(KINDS) - set(OPT_IN_KINDS)
    sizes = set()
    for name in names:
        seq = loaded[name]
        assert set(seq.channels()) == {"color", "ir"} and len(seq) == 40
        assert isinstance(seq.frame(0).groundtruth(), Rectangle)
        assert len(seq.groundtruth()) == 40 and all(isinstance(r, Rectangle) for r in seq.groundtruth())
        anchors = [i for i in range(len(seq)) if seq.values(i).get("anchor", 0) > 0]
        assert anchors and anchors[0] == 0
        _, _, _, tags = load_sequence(dataset / name)
        for tag, active in tags.items():  # every tag file reaches the toolkit, frame by frame
            assert [tag in seq.tags(i) for i in range(len(seq))] == active.tolist()
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


def _high_pass(image: np.ndarray) -> np.ndarray:
    image = image.astype(np.float32)
    return image - cv2.GaussianBlur(image, (0, 0), 4)


def test_anchors_run_the_longer_way(tmp_path):
    """Forward anchors in the first half, backward ones in the second (VOT-RGBT2019), every anchor_spacing frames."""
    seq = generate_sequence(tmp_path / "s", frames=120, seed=4, kinds=("textured",), anchor_spacing=30)
    anchors = np.loadtxt(seq / "anchor.value").astype(int)
    assert {i: a for i, a in enumerate(anchors) if a} == {0: 1, 30: 1, 60: -1, 90: -1}


def test_night_and_crossover_are_real(tmp_path):
    seq = generate_sequence(tmp_path / "n", frames=60, seed=1, kinds=("night", "crossover"))
    color, ir, gt, tags = load_sequence(seq)
    day = np.flatnonzero(~tags["night"] & ~tags["crossover"])
    night, cross = np.flatnonzero(tags["night"] & ~tags["crossover"]), np.flatnonzero(tags["crossover"])
    assert len(day) and len(night) and len(cross)
    brightness = lambda i: cv2.imread(color[i]).mean()
    assert np.mean([brightness(i) for i in night]) < 0.3 * np.mean([brightness(i) for i in day])
    warm = lambda i: np.subtract(*_contrast(cv2.imread(ir[i], 0), gt[i]))
    assert min(warm(i) for i in np.concatenate([day, night])) > 40  # target warmer than surroundings, night too
    # Crossover: as warm as the surroundings and with no more texture than them (the old generator kept the target
    # 10-15 grey levels warmer with twice the texture, and thermal alone tracked it through crossover).
    assert max(abs(warm(i)) for i in cross) < 5
    texture = lambda i: _contrast(np.abs(_high_pass(cv2.imread(ir[i], 0))), gt[i])
    assert max(inner / ring for inner, ring in map(texture, cross)) < 1.3
    assert min(inner / ring for inner, ring in map(texture, day)) > 2
    rgb_contrast = lambda i: np.abs(cv2.imread(color[i]).astype(float)[
        int(gt[i][1]) : int(gt[i][1] + gt[i][3]), int(gt[i][0]) : int(gt[i][0] + gt[i][2])].std())
    assert np.mean([rgb_contrast(i) for i in cross]) > 15  # RGB still textured during crossover


def _box(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    x, y, w, h = np.round(box).astype(int)
    return image[max(y, 0) : y + h, max(x, 0) : x + w].astype(float)


def test_occluder_covers_the_target(tmp_path):
    seq = generate_sequence(tmp_path / "o", frames=80, seed=2, kinds=("occlusion",))
    color, ir, gt, tags = load_sequence(seq)
    occluded, full = np.flatnonzero(tags["occlusion"]), np.flatnonzero(tags["full_occlusion"])
    assert len(full) >= 2 and set(full) < set(occluded) and full[0] > occluded[0] and full[-1] < occluded[-1]
    clear = occluded[0] - 5
    target = _box(cv2.imread(ir[clear], 0), gt[clear]).mean()  # the warm target, unoccluded
    warm_share = lambda i: float((_box(cv2.imread(ir[i], 0), gt[i]) > target - 40).mean())
    assert warm_share(clear) > 0.7
    # Full occlusion: (almost) no warm target pixel left in the box, and the RGB box content changed.
    assert max(warm_share(i) for i in full) < 0.05
    rgb_change = [np.abs(_box(cv2.imread(color[i]), gt[i]) - _box(cv2.imread(color[clear]), gt[i])).mean() for i in full]
    assert min(rgb_change) > 20
    # Partial occlusion: entering and leaving, part of the target shows.
    partial = [warm_share(i) for i in occluded if i not in full]
    assert any(0.15 < s < 0.85 for s in partial[: len(partial) // 2])
    assert any(0.15 < s < 0.85 for s in partial[len(partial) // 2 :])


def _second_match(image: np.ndarray, box: np.ndarray) -> tuple[float, tuple[int, int]]:
    """Best normalized-correlation match of the box's inner 60 % away from the box: (score, top-left shift)."""
    x, y, w, h = box
    x, y, w, h = int(x + 0.2 * w), int(y + 0.2 * h), int(0.6 * w), int(0.6 * h)
    score = cv2.matchTemplate(image, image[y : y + h, x : x + w], cv2.TM_CCOEFF_NORMED)
    yy, xx = np.mgrid[: score.shape[0], : score.shape[1]]
    score = np.where((np.abs(xx - x) > w) | (np.abs(yy - y) > h), score, -1)
    py, px = np.unravel_index(score.argmax(), score.shape)
    return float(score.max()), (int(px - x), int(py - y))


def _warm_blobs(ir_image: np.ndarray, box: np.ndarray) -> int:
    """Connected regions at least 40 % of the box area as warm as the target's core."""
    x, y, w, h = box.astype(int)
    core = ir_image[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4].mean()
    n, _, stats, _ = cv2.connectedComponentsWithStats((ir_image > core - 30).astype(np.uint8))
    return sum(stats[j, cv2.CC_STAT_AREA] >= 0.4 * w * h for j in range(1, n))


@pytest.mark.parametrize("seed", [0, 3])
def test_distractors_fool_one_modality_only(tmp_path, seed):
    plain = load_sequence(generate_sequence(tmp_path / "t", frames=12, seed=seed, kinds=("textured",)))
    tricky = load_sequence(generate_sequence(tmp_path / "d", frames=12, seed=seed, kinds=("distractor",)))
    for (color, ir, gt, _), has_twins in ((plain, False), (tricky, True)):
        for i in (0, 11):
            rgb, thermal = cv2.imread(color[i]).astype(np.float32), cv2.imread(ir[i], 0)
            score, (dx, dy) = _second_match(rgb, gt[i])
            assert (score > 0.9) == has_twins  # an RGB look-alike of the target exists only with distractors ...
            if has_twins:  # ... and it is cold in thermal
                twin = gt[i] + [dx, dy, 0, 0]
                assert _box(thermal, twin).mean() < _box(thermal, gt[i]).mean() - 50
            assert _warm_blobs(thermal, gt[i]) == (2 if has_twins else 1)  # plus a second warm blob in ir


def test_out_of_view_leaves_and_returns(tmp_path):
    seq = generate_sequence(tmp_path / "v", frames=80, seed=4, kinds=("out_of_view",), size=(630, 460))
    color, ir, gt, tags = load_sequence(seq)
    away = np.flatnonzero(tags["out_of_view"])
    assert 8 <= len(away) and away[0] > 10 and away[-1] < 79 and np.all(np.diff(away) == 1)
    x, y, w, h = gt.T
    outside = (x + w <= 0) | (y + h <= 0) | (x >= 630) | (y >= 460)
    assert outside.any() and set(np.flatnonzero(outside)) <= set(away)  # gone entirely for a while
    inside = lambda i: x[i] >= 0 and y[i] >= 0 and x[i] + w[i] <= 630 and y[i] + h[i] <= 460
    assert inside(away[0] - 5) and inside(79)  # on the image before and after
    hot = lambda i: int((cv2.imread(ir[i], 0) > 170).sum())  # the target is the only thing that warm
    assert hot(int(np.flatnonzero(outside)[0])) < 20 < hot(79)
    anchors = np.loadtxt(seq / "anchor.value").astype(bool)
    assert not (anchors & tags["out_of_view"]).any()


def test_cli_writes_the_requested_kinds_and_size(tmp_path):
    assert main(["--out", str(tmp_path), "--sequences", "2", "--frames", "3", "--seed", "1",
                 "--kinds", "night,occlusion", "--size", "320x240"]) == 0
    names = (tmp_path / "list.txt").read_text().split()
    assert len(names) == 2
    for name in names:
        assert cv2.imread(str(tmp_path / name / "color" / "00000003.jpg")).shape == (240, 320, 3)
        assert "kinds=night,occlusion" in (tmp_path / name / "sequence").read_text()


def test_unknown_kind_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="unknown kinds"):
        generate_sequence(tmp_path / "x", frames=5, seed=0, kinds=("fog",))


def test_reuse_keeps_only_what_this_generator_wrote_with_these_arguments(tmp_path, monkeypatch):
    """A cached dataset survives a rerun, but not a change of arguments or of the generator's version."""
    def generate(**changes) -> list[bool]:
        """Generate with reuse and say which sequences were kept (a marker put in each one survived)."""
        args = dict(sequences=2, frames=4, seed=3, size=(96, 72)) | changes
        names = generate_dataset(tmp_path, **args, reuse=True)
        kept = [(tmp_path / name / "marker").exists() for name in names]
        for name in names:
            (tmp_path / name / "marker").touch()
        return kept

    assert generate() == [False, False]
    assert generate() == [True, True]
    assert generate(sequences=3) == [True, True, False]
    assert generate(sequences=3, frames=5) == [False, False, False]
    assert len(load_sequence(tmp_path / "00-textured")[2]) == 5
    monkeypatch.setattr(synthetic, "GENERATOR_VERSION", "edited")
    assert generate(sequences=3, frames=5) == [False, False, False]
    assert "generator=edited" in (tmp_path / "00-textured" / "sequence").read_text()
    assert generate(sequences=3, frames=5) == [True, True, True]
    # An interrupted sequence (its `sequence` file is written last) is never taken for a complete one.
    (tmp_path / "01-night-camera_motion" / "sequence").unlink()
    assert generate(sequences=3, frames=5) == [True, False, True]


def _centres(boxes: np.ndarray) -> np.ndarray:
    return boxes[:, :2] + boxes[:, 2:] / 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_failure_class_kinds_do_what_they_say(tmp_path, seed):
    """small: 8-20 px targets that move little; fast_start: 18-30 px a frame from frame 1, tagged; fold: the aspect
    changes 2-3x (area kept) and comes back. The target is drawn where the ground truth says in all three."""
    small = load_sequence(generate_sequence(tmp_path / "small", 60, seed, ("small",)))[2]
    side = np.sqrt(small[:, 2] * small[:, 3])
    assert np.all((side >= 8) & (side <= 20)) and np.hypot(*np.diff(_centres(small), axis=0).T).max() < side[0] / 2

    *_, fast, tags = load_sequence(generate_sequence(tmp_path / "fast", 60, seed, ("fast_start",)))
    speed = np.hypot(*np.diff(_centres(fast), axis=0).T)  # speed[i]: frame i -> i + 1
    run = np.flatnonzero(tags["fast_motion"])
    assert run[0] == 1 and 6 <= len(run) <= 12 and np.all(np.diff(run) == 1)
    assert np.all(speed[run - 1] >= 17) and np.all(speed[run[-1]:] < 12)

    color, ir, fold, tags = load_sequence(generate_sequence(tmp_path / "fold", 60, seed, ("fold",)))
    change = (fold[:, 2] / fold[:, 3]) / (fold[0, 2] / fold[0, 3])
    assert max(change.max(), 1 / change.min()) > 1.9 and np.allclose(change[~tags["aspect_change"]], 1)
    assert np.allclose(fold[:, 2] * fold[:, 3], fold[0, 2] * fold[0, 3], rtol=1e-3)
    widest = int(np.argmax(np.abs(np.log(change))))
    x, y, w, h = fold[widest].round().astype(int)
    thermal = cv2.imread(ir[widest], cv2.IMREAD_GRAYSCALE).astype(float)
    inside = thermal[y + h // 4: y + 3 * h // 4, x + w // 4: x + 3 * w // 4].mean()
    assert inside > thermal.mean() + 40  # the warm target fills its folded box
