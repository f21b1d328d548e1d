"""The photo-scene family loads like VOT RGBTIR data, is deterministic, and its ground truth and phenomena are real."""
from __future__ import annotations

import dataclasses
import filecmp
from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker.data import photo_scenes
from tracker.data.datasets import read_dataset
from tracker.data.photo_scenes import KINDS, MIXES, generate_dataset, generate_sequence, main
from tracker.frames import FrameLoader

FRAMES = 40


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("photo")
    generate_dataset(root, sequences=8, frames=FRAMES, seed=7, size=(320, 240))  # small frames: a cheap fixture
    return root


@pytest.fixture(scope="module")
def frames(dataset) -> dict:
    """name -> (sequence, [(colour RGB, thermal) per frame on the thermal grid]), read as the tracker reads them."""
    out = {}
    for seq in read_dataset("vot", dataset):
        loader = FrameLoader()
        images = [loader.load({"color": str(c), "ir": str(t)}) for c, t in zip(seq.color, seq.ir)]
        out[seq.name] = (seq, [(im["color"], im["ir"]) for im in images])
    return out


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def _contrast(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Median of the box's central 60 % minus the median of a ring half a box wide around it (per channel)."""
    x, y, w, h = box
    H, W = image.shape[:2]
    img = image.reshape(H, W, -1).astype(float)
    inner = img[int(y + 0.2 * h) : int(y + 0.8 * h), int(x + 0.2 * w) : int(x + 0.8 * w)].reshape(-1, img.shape[2])
    ring = np.zeros((H, W), bool)
    ring[max(int(y - h / 2), 0) : int(y + 1.5 * h), max(int(x - w / 2), 0) : int(x + 1.5 * w)] = True
    ring[int(y) : int(np.ceil(y + h)), int(x) : int(np.ceil(x + w))] = False
    return np.median(inner, axis=0) - np.median(img[ring], axis=0)


def _plain(seq) -> np.ndarray:
    """Frames without crossover or occlusion (night is fine: thermal sees through it)."""
    hard = np.zeros(len(seq), bool)
    for tag in ("crossover", "occlusion"):
        hard |= seq.tags.get(tag, np.zeros(len(seq), bool))
    return np.flatnonzero(~hard)


def test_same_arguments_same_bytes(tmp_path):
    kinds = ("thermal16", "occlusion", "misalignment", "night")
    for run in ("a", "b"):
        generate_sequence(tmp_path / run / "s", frames=5, seed=11, kinds=kinds, size=(160, 120))
    generate_sequence(tmp_path / "c" / "s", frames=5, seed=12, kinds=kinds, size=(160, 120))
    assert _same_tree(tmp_path / "a", tmp_path / "b")
    assert not _same_tree(tmp_path / "a", tmp_path / "c")


def test_loads_as_vot_rgbtir(dataset):
    from vot.dataset import load_dataset
    from vot.region import Rectangle

    assert {k for mix in MIXES for k in mix} == set(KINDS)
    seqs = read_dataset("vot", dataset)
    toolkit = load_dataset(str(dataset))
    assert len(seqs) == 8
    for seq in seqs:
        meta = dict(line.split("=", 1) for line in (dataset / seq.name / "sequence").read_text().splitlines())
        W, H = int(meta["width"]), int(meta["height"])
        assert len(seq) == FRAMES and len(seq.color) == len(seq.ir) == FRAMES
        x, y, w, h = seq.boxes.T
        assert np.isfinite(seq.boxes).all() and (w > 4).all() and (h > 4).all()
        assert (x >= 0).all() and (y >= 0).all() and (x + w <= W).all() and (y + h <= H).all()
        loaded = toolkit[seq.name]
        assert set(loaded.channels()) == {"color", "ir"} and len(loaded) == FRAMES
        assert all(isinstance(r, Rectangle) for r in loaded.groundtruth())
        for tag, active in seq.tags.items():  # every tag file reaches the toolkit, frame by frame
            assert active.any() and [tag in loaded.tags(i) for i in range(FRAMES)] == active.tolist()
        anchors = np.loadtxt(dataset / seq.name / "anchor.value").astype(int)
        assert anchors[0] == 1 and set(anchors) <= {-1, 0, 1}
        assert meta["generator"] == photo_scenes.VERSION


def test_phenomena_are_tagged(frames):
    tags = {tag for seq, _ in frames.values() for tag, active in seq.tags.items() if active.any()}
    assert {"night", "crossover", "occlusion", "full_occlusion", "camera_motion", "scale_change", "fast_motion",
            "distractor", "misalignment"} <= tags
    for name, (seq, _) in frames.items():
        for kind, tag in (("night", "night"), ("crossover", "crossover"), ("occlusion", "full_occlusion"),
                          ("misalignment", "misalignment"), ("camera_motion", "camera_motion")):
            if kind in name:
                assert seq.tags[tag].any(), (name, tag)
        if "full_occlusion" in seq.tags:
            assert not (seq.tags["full_occlusion"] & ~seq.tags["occlusion"]).any()


def _thermal_with_and_without_target(seed: int, kinds: tuple, frames: int, size=(320, 240)):
    """Ground truth, tags, and the thermal signal rendered twice from the same seed: as generated, and with the
    target's mask emptied (so the difference is exactly what the target adds to the image)."""
    renders = []
    for hide in (False, True):
        scene, renderer = photo_scenes._build(frames, seed, kinds, size)
        if hide:
            scene.target.patch = dataclasses.replace(scene.target.patch, mask=np.zeros_like(scene.target.patch.mask))
        renders.append(np.stack([renderer.thermal(i) for i in range(frames)]))
    return scene.boxes, scene.tags, np.abs(renders[0] - renders[1])


def _inside(box: np.ndarray, shape: tuple, pad: float) -> np.ndarray:
    x, y, w, h = box
    m = np.zeros(shape, bool)
    m[max(int(y - pad), 0) : int(np.ceil(y + h + pad)), max(int(x - pad), 0) : int(np.ceil(x + w + pad))] = True
    return m


@pytest.mark.parametrize("seed, kinds", [(1, ("fast_motion", "scale")), (2, ("camera_motion", "misalignment")),
                                         (3, ("lowres_thermal", "scale", "fast_motion"))])
def test_ground_truth_bounds_the_target(seed, kinds):
    """What the target adds to the thermal image lies inside its box and fills it (rotation, scale, fast motion)."""
    boxes, _, diff = _thermal_with_and_without_target(seed, kinds, 30)
    shares, fills = [], []
    for box, d in zip(boxes, diff):
        near = _inside(box, d.shape, pad=2)  # 2 px: optics blur
        shares.append(d[near].sum() / d.sum())
        fills.append(np.mean(d[_inside(box, d.shape, pad=-0.2 * min(box[2:]))] > 5))
    # Trails of the previous frame (sensor lag, motion blur) leave a little outside on fast frames.
    assert np.median(shares) > 0.9 and min(shares) > 0.6
    assert np.median(fills) > 0.8  # the box's core is the target's, not background


@pytest.mark.parametrize("seed", [4, 5])
def test_crossover_hides_the_target_in_thermal(seed):
    boxes, tags, diff = _thermal_with_and_without_target(seed, ("crossover",), 40)
    cross = tags["crossover"]
    seen = [d[_inside(b, d.shape, 0)].mean() for b, d in zip(boxes, diff)]
    assert cross.sum() >= 5 and min(np.array(seen)[~cross & (np.arange(40) < np.argmax(cross) - 8)]) > 15
    assert max(np.array(seen)[cross]) < 5  # about the texture it keeps: thermal alone shows next to nothing


@pytest.mark.parametrize("seed, kinds", [(1, ("misalignment",)), (2, ("misalignment", "lowres_thermal")), (3, ())])
def test_colour_is_registered_up_to_the_declared_misregistration(seed, kinds):
    """The target in the colour frame (on the thermal grid) sits where the misregistration and parallax put it."""
    renders = []
    for hide in (False, True):
        scene, renderer = photo_scenes._build(5, seed, kinds, (320, 240))
        if hide:
            scene.target.patch = dataclasses.replace(scene.target.patch, mask=np.zeros_like(scene.target.patch.mask))
        renders.append(np.stack([renderer.colour(i).astype(float) for i in range(5)]))
    diff = np.abs(renders[0] - renders[1]).sum(axis=-1)
    (W, H), (Wc, Hc) = scene.thermal_size, scene.color_size
    target = scene.target
    for i in range(5):
        ys, xs = np.nonzero(diff[i] > 40)
        seen = np.array([(xs.min() + xs.max()) / 2 * W / Wc, (ys.min() + ys.max()) / 2 * H / Hc])
        x, y, w, h = scene.boxes[i]
        gt = np.array([x + w / 2, y + h / 2])
        expected = scene.misregister @ [*gt, 1] + [target.parallax * target.pose[i, 2] / target.pose[0, 2], 0]
        assert np.abs(seen - expected).max() < 1.5
        assert (np.hypot(*(seen - gt)) > 1.5) == ("misalignment" in kinds)


def test_crossover_leaves_rgb_and_lowers_thermal_contrast(frames):
    checked = 0
    for name, (seq, images) in frames.items():
        if "crossover" not in name:
            continue
        cross, plain = np.flatnonzero(seq.tags["crossover"]), _plain(seq)
        normal = np.median([abs(_contrast(images[i][1], seq.boxes[i])[0]) for i in plain])
        hidden = np.median([abs(_contrast(images[i][1], seq.boxes[i])[0]) for i in cross])
        assert hidden < 0.5 * normal, name  # loose: the ring around the box holds other scenery and objects
        texture = [images[i][0][int(b[1]) : int(b[1] + b[3]), int(b[0]) : int(b[0] + b[2])].std()
                   for i, b in zip(cross, seq.boxes[cross])]
        assert np.median(texture) > 10, name  # RGB still shows the target
        checked += 1
    assert checked == 2


def test_ground_truth_stands_out_in_thermal(frames):
    """On the written frames, the thermal target stands out at the ground truth more than a box width beside it.

    16-bit frames are read as written (32 counts per grey level): the loader's 1-99 % stretch clips a small hot
    target together with the hottest 1 % of the scene.
    """
    for name, (seq, images) in frames.items():
        W = images[0][1].shape[1]
        at_gt, beside = [], []
        for i in _plain(seq):
            box = seq.boxes[i]
            thermal = images[i][1]
            if "thermal16" in name:
                thermal = cv2.imread(str(seq.ir[i]), cv2.IMREAD_UNCHANGED) / 32.0
            shift = 1.5 * box[2] if box[0] + 2.5 * box[2] < W else -1.5 * box[2]
            at_gt.append(abs(_contrast(thermal, box)[0]))
            beside.append(abs(_contrast(thermal, box + [shift, 0, 0, 0])[0]))
        assert np.median(at_gt) > 15 and np.median(at_gt) > np.median(beside) + 5, name


def test_night_darkens_rgb_only(frames):
    checked = 0
    for name, (seq, images) in frames.items():
        if "night" not in name:
            continue
        night = np.flatnonzero(seq.tags["night"] & ~seq.tags.get("occlusion", np.zeros(len(seq), bool)))
        day = np.flatnonzero(~seq.tags["night"] & ~seq.tags.get("occlusion", np.zeros(len(seq), bool)))
        mean = lambda idx, f: float(np.median([f(i) for i in idx]))
        assert mean(night, lambda i: images[i][0].mean()) < 0.35 * mean(day, lambda i: images[i][0].mean()), name
        rgb = lambda i: np.abs(_contrast(images[i][0], seq.boxes[i])).mean()
        assert mean(night, rgb) < 0.4 * mean(day, rgb), name
        thermal = lambda i: abs(_contrast(images[i][1], seq.boxes[i])[0])
        assert mean(night, thermal) > 0.5 * mean(day, thermal), name
        checked += 1
    assert checked == 2


def test_full_occlusion_replaces_the_target(frames):
    checked = 0
    for name, (seq, images) in frames.items():
        if "occlusion" not in name:
            continue
        full = np.flatnonzero(seq.tags["full_occlusion"])
        clear = _plain(seq)
        target = np.median([_contrast(images[i][1], seq.boxes[i])[0] for i in clear])
        for i in full:  # the occluder's temperature, not the target's, inside the box
            assert abs(_contrast(images[i][1], seq.boxes[i])[0] - target) > 30, (name, i)
        checked += 1
    assert checked == 3


def test_sixteen_bit_and_mismatched_sizes_load(dataset, frames):
    sixteen = mismatched = 0
    for name, (seq, images) in frames.items():
        raw_ir = cv2.imread(str(seq.ir[0]), cv2.IMREAD_UNCHANGED)
        raw_colour = cv2.imread(str(seq.color[0]), cv2.IMREAD_UNCHANGED)
        colour, thermal = images[0]
        assert thermal.dtype == np.uint8 and thermal.shape == raw_ir.shape[:2]
        assert colour.shape == thermal.shape + (3,)  # resampled onto the thermal grid
        if "thermal16" in name:
            assert raw_ir.dtype == np.uint16 and seq.ir[0].suffix == ".png"
            assert np.ptp(raw_ir) > 1000  # raw counts, stretched by the loader
            sixteen += 1
        else:
            assert raw_ir.dtype == np.uint8 and raw_ir.ndim == 2
        if "lowres_thermal" in name:
            assert raw_ir.shape == (256, 320) and raw_colour.shape == (480, 640, 3)
            mismatched += 1
        elif "thermal16" in name:  # stored at the sensor's resolution
            assert raw_ir.shape == (120, 160) and raw_colour.shape == (240, 320, 3)
            mismatched += 1
        else:
            assert raw_colour.shape[:2] == raw_ir.shape == (240, 320)
    assert sixteen == 2 and mismatched == 4


def test_bad_arguments(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--frames", "1"]) == 2
    assert "error" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown kinds"):
        generate_sequence(tmp_path / "x", frames=5, seed=0, kinds=("fog",))


def test_missing_photo_package_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(photo_scenes.importlib.util, "find_spec", lambda name: None)
    photo_scenes._photo.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="is not installed"):
            generate_sequence(tmp_path / "x", frames=3, seed=0, size=(160, 120))
    finally:
        photo_scenes._photo.cache_clear()
