"""The online CMI tracker on generated sequences: accuracy bars, night, borders, sizes, determinism."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tracker.config import Config
from tracker.data.datasets import read_sequence
from tracker.data.synthetic import generate_sequence
from tracker.frames import FrameLoader
from tracker.geometry import iou, polygon_to_box
from tracker.runner import run_sequence
from tracker.tracking import CMITracker
from tracker.tracking import sampling

from helpers.parallel import track_all


def run(tracker: CMITracker, seq_dir, frames: int | None = None, init=None) -> tuple[np.ndarray, np.ndarray]:
    seq = read_sequence("vot", seq_dir)
    n = frames or len(seq)
    boxes = run_sequence(tracker, [seq.paths(i) for i in range(n)], seq.boxes[0] if init is None else init).boxes
    return boxes[1:], seq.boxes[1:n]


@pytest.fixture(scope="module")
def tracker() -> CMITracker:
    return CMITracker(Config.load(None, ["device=cpu", "warmup=false"]))


@pytest.fixture(scope="module")
def steady(tmp_path_factory):
    return generate_sequence(tmp_path_factory.mktemp("steady") / "s", frames=60, seed=21, kinds=("textured",))


def test_steady_target_mean_iou(tracker, steady):
    boxes, gt = run(tracker, steady)
    # Bar: a textured target with mild motion must be tracked with mean IoU > 0.7.
    assert iou(boxes, gt).mean() > 0.7


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")


@CUDA
def test_cuda_tracks_as_well_as_the_cpu(tracker, steady):
    """device=auto takes CUDA where there is one; that path (sample memory, scoring and online updates on the GPU)
    must track the steady target as the CPU does. Bar: mean IoU > 0.7 and within 0.05 of the CPU run's."""
    cpu = iou(*run(tracker, steady)).mean()
    cuda = iou(*run(CMITracker(Config.load(None, ["device=cuda"])), steady)).mean()
    assert cuda > 0.7 and abs(cuda - cpu) < 0.05, (cuda, cpu)


def test_first_frame_training_separates_candidates(tracker, steady):
    """Held-out candidates of the first frame: IoU >= 0.7 score > 0, IoU <= 0.3 score < 0, >= 90 % right."""
    seq = read_sequence("vot", steady)
    gt = seq.boxes
    images = FrameLoader().load(seq.paths(0))
    tracker.initialize(images, gt[0])
    rng = np.random.default_rng(123)
    region = tracker.search(images, gt[0])
    pos = sampling.positives(rng, gt[0], 200)
    neg = sampling.negatives(rng, gt[0], 400, region.area())
    s_pos = tracker.classifier.scores(region.embed(pos))
    s_neg = tracker.classifier.scores(region.embed(neg))
    accuracy = (float((s_pos > 0).float().sum()) + float((s_neg < 0).float().sum())) / (len(pos) + len(neg))
    assert accuracy >= 0.9


@pytest.mark.parametrize("kinds, frames, seeds, tag, alone", [
    # Measured (2026-11-28): fused mean IoU 0.97-0.98 in the night and after it; RGB alone 0.01-0.13 in the night
    # (the distractor takes it) and 0.00 after it.
    (("night", "distractor"), 250, (101, 102, 103), "night", "rgb"),
    # Measured (2026-11-28): fused 0.96-0.97 in crossover and 0.98 after it; thermal alone 0.03-0.11 in crossover
    # and 0.90-0.92 after it (it finds the target again once its signature returns).
    (("crossover",), 200, (40, 41, 42), "crossover", "tir"),
], ids=["night-needs-thermal", "crossover-needs-rgb"])
def test_fusion_survives_where_one_modality_fails(tmp_path, kinds, frames, seeds, tag, alone):
    """In the dark RGB alone degrades, in thermal crossover thermal alone loses the target; the fused tracker keeps
    it through the segment and after it, and beats the single modality in the segment (means over the seeds)."""
    modes = ("rgbt", alone)
    within, after = {m: [] for m in modes}, {m: [] for m in modes}
    runs, segments = [], []
    for seed in seeds:
        seq = generate_sequence(tmp_path / f"{tag}-{seed}", frames=frames, seed=seed, kinds=kinds)
        segment = read_sequence("vot", seq).tags[tag][1:]
        assert segment.any(), f"seed {seed}: no {tag} segment"
        tail = np.arange(len(segment)) >= np.flatnonzero(segment)[-1]  # end of the segment onwards
        runs += [((f"model.modalities={m}",), seq) for m in modes]
        segments += [(m, segment, tail) for m in modes]
    for (m, segment, tail), (boxes, gt) in zip(segments, track_all(runs)):
        overlap = iou(boxes, gt)
        within[m].append(overlap[segment].mean())
        after[m].append(overlap[tail].mean())
    assert np.mean(within["rgbt"]) > 0.7 and np.mean(after["rgbt"]) > 0.7, (within["rgbt"], after["rgbt"])
    assert min(within["rgbt"]) > 0.5, within["rgbt"]
    assert np.mean(within["rgbt"]) > np.mean(within[alone]) + 0.1, (within["rgbt"], within[alone])


@pytest.mark.parametrize(
    "init",
    [(0, 0, 30, 25), (610, 455, 40, 40), (100, 120, 6, 7), (40, 30, 420, 330), "polygon"],
    ids=["top-left", "bottom-right-partly-outside", "tiny", "large", "polygon"],
)
def test_any_init_gives_valid_boxes(tracker, steady, init):
    if init == "polygon":
        init = polygon_to_box([300, 200, 340, 215, 330, 250, 290, 235])
    boxes, _ = run(tracker, steady, frames=8, init=init)
    assert np.all(np.isfinite(boxes))
    assert np.all(boxes[:, :2] >= 0) and np.all(boxes[:, 0] + boxes[:, 2] <= 640 + 1e-6)
    assert np.all(boxes[:, 1] + boxes[:, 3] <= 480 + 1e-6) and np.all(boxes[:, 2:] >= 1)


@pytest.mark.parametrize("kinds, frames, seed, tag", [(("occlusion", "fast_motion"), 90, 33, "occlusion"),
                                                      (("crossover",), 240, 31, "crossover")])
def test_box_keeps_target_size(tracker, tmp_path, kinds, frames, seed, tag):
    """Partial occlusion hides part of the target and crossover its thermal signature; neither is a size change.

    Bar: the box stays within [0.75, 1.33] x the true size (sqrt of area) during the segment. Before the
    verified box regression and the slower size update (track.bbreg_verify, track.scale_lr=0.2) the box grew
    to 1.72 x on the occluder and shrank to 0.73 x in crossover on these sequences (measured, 2 threads).
    """
    seq = generate_sequence(tmp_path / "seq", frames=frames, seed=seed, kinds=kinds)
    boxes, gt = run(tracker, seq)
    ratio = np.sqrt(boxes[:, 2] * boxes[:, 3] / (gt[:, 2] * gt[:, 3]))[read_sequence("vot", seq).tags[tag][1:]]
    assert 0.75 <= ratio.min() and ratio.max() <= 1.33, (ratio.min(), ratio.max())


def test_deterministic(tracker, steady):
    a, _ = run(tracker, steady, frames=12)
    b, _ = run(tracker, steady, frames=12)
    np.testing.assert_array_equal(a, b)


def test_warm_up_leaves_no_state(tracker, steady):
    """The start-up warm-up sequence must not change what the tracker outputs afterwards."""
    cold = CMITracker(Config.load(None, ["device=cpu", "warmup=false"]))
    np.testing.assert_array_equal(run(cold, steady, frames=12)[0], run(tracker, steady, frames=12)[0])


def test_missing_channel_keeps_tracking(tracker, steady):
    seq = read_sequence("vot", steady)
    loader = FrameLoader()
    tracker.initialize(loader.load(seq.paths(0)), seq.boxes[0])
    overlaps = []
    for i in range(1, 20):
        images = loader.load(seq.paths(i))
        images["ir"] = None
        overlaps.append(iou(tracker.track(images)[0], seq.boxes[i]))
    assert np.mean(overlaps) > 0.5


@pytest.mark.parametrize("channel", ["ir", "color"])
def test_a_blank_channel_is_tracked_as_missing(tracker, steady, channel):
    """A flat (blank, dead) channel carries no image: its features are zeroed as for a missing one, so a blank
    channel gives exactly the missing channel's boxes (a constant feature map would otherwise be scored as
    content, and a view of it scores every candidate alike)."""
    seq = read_sequence("vot", steady)
    loader = FrameLoader()
    boxes = {}
    for fill in ("blank", None):
        tracker.initialize(loader.load(seq.paths(0)), seq.boxes[0])
        boxes[fill] = []
        for i in range(1, 20):
            images = loader.load(seq.paths(i))
            if fill is None:
                images[channel] = None
            else:  # mid-gray with a little sensor noise below the flatness threshold
                noise = np.random.default_rng(i).integers(0, 2, images[channel].shape)
                images[channel] = (np.full(images[channel].shape, 127) + noise).astype(np.uint8)
            boxes[fill].append(tracker.track(images)[0])
    np.testing.assert_allclose(boxes["blank"], boxes[None], atol=0.5)
    images = loader.load(seq.paths(0))
    images[channel] = np.full_like(images[channel], 127)
    region = tracker.search(images, seq.boxes[0])
    blank, other = (1, 0) if channel == "ir" else (0, 1)
    assert region.present == ({"ir": "color", "color": "ir"}[channel],)
    assert float(region.feats[blank].abs().max()) == 0.0 and float(region.feats[other].abs().max()) > 0


def test_tracker_given_a_network_tracks_a_copy(steady):
    """train.validate hands its network to a tracker: it must track as the tracker that loaded the same weights from
    the file, and its online updates must leave the given network unchanged."""
    from tracker.model.checkpoint import configure
    from tracker.model.runtime import load_network

    offline = Path(__file__).resolve().parent.parent / "models" / "cmi.pth"
    cfg = configure(Config.load(None, ["device=cpu", "warmup=false", f"weights={offline}"]))
    net, trained = load_network(cfg)
    assert trained
    before = {k: v.clone() for k, v in net.state_dict().items()}
    np.testing.assert_array_equal(run(CMITracker(cfg, weights=net), steady, frames=12)[0],
                                  run(CMITracker(cfg), steady, frames=12)[0])
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    with pytest.raises(ValueError, match="lack"):
        CMITracker(cfg, weights={k: v for k, v in before.items() if not k.startswith("classifier.fc5")})


def test_offline_classifier_off_starts_fc4_fc5_fresh_and_learns_them_online():
    offline = Path(__file__).resolve().parent.parent / "models" / "cmi.pth"
    stored = torch.load(offline, map_location="cpu", weights_only=False)["state"]
    kept = CMITracker(Config.load(None, ["device=cpu", "warmup=false", "track.online_fc4=false", f"weights={offline}"]))
    # A fresh fc4 must be learnt online: the tracker turns online_fc4 back on.
    fresh = CMITracker(Config.load(None, ["device=cpu", "warmup=false", "track.offline_classifier=false", f"weights={offline}",
                                          "track.online_fc4=false"]))
    for key in ("fc4.0.weight", "fc5.0.weight"):
        assert torch.equal(kept.net.classifier.state_dict()[key], stored["classifier." + key])
        assert not torch.equal(fresh.net.classifier.state_dict()[key], stored["classifier." + key])
    assert torch.equal(fresh.net.cmi.q["R"].weight, stored["cmi.q.R.weight"])  # the interaction still comes from the file
    assert not kept.t.online_fc4 and fresh.t.online_fc4


def test_online_memory_keeps_single_modality_views(tracker, steady):
    """Each confident frame's samples are kept fused, RGB alone and thermal alone (thirds of one memory entry): the
    zeroed modality's half of a view does not depend on the box, the present one's does."""
    run(tracker, steady, frames=4)
    entry = tracker.classifier.pos_memory.slot(0)  # the last frame: (3 k, feature_dim)
    k = len(entry) // 3
    assert len(entry) == 3 * k and k > 1
    half = entry.shape[1] // 2  # [F'_R, F'_T], flattened
    for view, zeroed, present in ((entry[k:2 * k], slice(half, None), slice(None, half)),
                                  (entry[2 * k:], slice(None, half), slice(half, None))):
        assert torch.allclose(view[:, zeroed], view[:1, zeroed])
        assert not torch.allclose(view[:, present], view[:1, present])


def test_colour_gain_and_night_view_keep_rgb_alone_on_target_through_the_night(tmp_path):
    """Colour alone through a generated night (RGB x 0.12 plus noise, thermal not used), seeds 101-106. The crop gain
    (track.color_gain) keeps the tracker on the target in the night, and with the first frame's low-light view
    (track.night_light; both: the default) it finds it after the night. Measured (2026-12-07, fixed projections,
    2-core AVX512-BF16 CPU), mean IoU within the night / from its last frame on: neither 0.19 / 0.73, gain 0.94 /
    0.96, both 0.94 / 0.96: with the fixed projections the low-light view adds nothing here (with random ones,
    2026-11-29: neither 0.29 / 0.79, gain 0.50 / 0.71, both 0.92 / 0.96). The bar after the night, 0.75, allows one
    lost seed of six, not two."""
    settings = {"neither": ["track.color_gain=1", "track.night_light=0"], "gain": ["track.night_light=0"], "both": []}
    within, after = ({k: [] for k in settings} for _ in range(2))
    runs, segments = [], []
    for seed in range(101, 107):
        seq = generate_sequence(tmp_path / f"night-{seed}", frames=200, seed=seed, kinds=("night",))
        segment = read_sequence("vot", seq).tags["night"][1:]
        tail = np.arange(len(segment)) >= np.flatnonzero(segment)[-1]
        runs += [(("model.modalities=rgb", *v), seq) for v in settings.values()]
        segments += [(k, segment, tail) for k in settings]
    for (k, segment, tail), (boxes, gt) in zip(segments, track_all(runs)):
        within[k].append(iou(boxes, gt)[segment].mean())
        after[k].append(iou(boxes, gt)[tail].mean())
    mean = {k: (np.mean(within[k]), np.mean(after[k])) for k in settings}
    assert mean["gain"][0] > mean["neither"][0] + 0.1, mean
    assert mean["both"][0] > 0.7, mean
    assert mean["both"][1] > 0.75, (mean, after["both"])


def test_thermal_only_tracker_skips_the_low_light_view(steady):
    """The low-light view is of the colour crop: a thermal-only network (CMI-TIR) tracks exactly as without it."""
    runs = [run(CMITracker(Config.load(None, ["device=cpu", "warmup=false", "model.modalities=tir", *extra])), steady,
                frames=8)[0] for extra in ([], ["track.night_light=0"])]
    assert np.array_equal(*runs)


def test_box_follows_a_target_that_changes_size(tmp_path):
    """A target that grows and shrinks by up to 3x (kind "scale"): the box size follows it.

    Bars over seeds 201-203 (mean of the seeds): |log(box size / true size)| < 0.08 in the frames tagged
    scale_change and mean IoU > 0.8. Measured (2026-11-28): 0.015 and 0.953 with the scale filter; without it
    (track.scale_filter=false, the damped size of the refined box) 0.204 and 0.724, the box a third too small at
    the end of a growth.
    """
    seqs = [generate_sequence(tmp_path / str(seed), frames=200, seed=seed, kinds=("scale",)) for seed in (201, 202, 203)]
    errors, overlaps = [], []
    for seq_dir, (boxes, gt) in zip(seqs, track_all([((), s) for s in seqs])):
        ratio = np.sqrt(boxes[:, 2] * boxes[:, 3] / (gt[:, 2] * gt[:, 3]))
        errors.append(np.abs(np.log(ratio))[read_sequence("vot", seq_dir).tags["scale_change"][1:]].mean())
        overlaps.append(iou(boxes, gt).mean())
    assert np.mean(errors) < 0.08 and np.mean(overlaps) > 0.8, (errors, overlaps)


def test_box_centre_is_precise_on_a_textured_target(tmp_path):
    """The translation filter places the box centre to a fraction of the classifier's precision.

    Bars over seeds 211-213 (textured target, camera motion, 120 frames; mean of the seeds): mean IoU > 0.93 and
    median centre error < 0.025 target sizes. Measured (2026-11-28): 0.981 and 0.007 with the filter; without it
    (track.translation_filter=false, the classifier's refined centre) 0.855 and 0.059.
    """
    seqs = [generate_sequence(tmp_path / str(seed), frames=120, seed=seed, kinds=("textured", "camera_motion"))
            for seed in (211, 212, 213)]
    overlaps, errors = [], []
    for boxes, gt in track_all([((), s) for s in seqs]):
        offset = (boxes[:, :2] + boxes[:, 2:] / 2) - (gt[:, :2] + gt[:, 2:] / 2)
        errors.append(np.median(np.linalg.norm(offset, axis=1) / np.sqrt(gt[:, 2] * gt[:, 3])))
        overlaps.append(iou(boxes, gt).mean())
    assert np.mean(overlaps) > 0.93 and np.mean(errors) < 0.025, (overlaps, errors)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
def test_a_target_that_jumps_is_found_again_within_the_same_crop(tmp_path, device):
    """A camera jump moves the steady target 1.2 box sides between two frames: beyond the Gaussian candidates' reach
    (0.6 sides), within the search crop (half a crop is 1.7 sides here). The search over the whole crop and around
    its best boxes (track.redetect_local) finds it on that frame. Measured (CPU), IoU on the jump frame and the two
    after, track seeds 0-2: 0.95 / 0.95 / 0.88 on the jump frame, mean 0.97 over the three; with
    track.redetect_local=0, 0.00 on every jump frame, mean 0.20. Over track seeds 0-11 every jump frame is found
    (0.84-0.95, scores 13-34). Not 1.5 sides: that leaves the target straddling the crop's edge, scored on part of
    it near the re-detection bar, found or not by the random draws (an H200 gave 0.742 over seeds 0-2)."""
    seq = read_sequence("vot", generate_sequence(tmp_path / "jump", frames=14, seed=21, kinds=("textured",)))
    loader = FrameLoader()
    shift = int(round(1.2 * seq.boxes[0, 2:].mean()))  # the jump, pixels to the right (the target stays in view)
    mean = {}
    for extra in ([], ["track.redetect_local=0"]):
        overlaps = []
        for track_seed in range(3):
            tracker = CMITracker(Config.load(None, [f"device={device}", "warmup=false", f"track.seed={track_seed}",
                                                    *extra]))
            tracker.initialize(loader.load(seq.paths(0)), seq.boxes[0])
            for f in range(1, 13):
                images, truth = loader.load(seq.paths(f)), seq.boxes[f].copy()
                if f >= 10:
                    images = {k: np.roll(v, shift, axis=1) for k, v in images.items()}
                    truth[0] += shift
                box, _ = tracker.track(images)
                if f >= 10:
                    overlaps.append(iou(box[None], truth[None])[0])
        mean[bool(extra)] = np.mean(overlaps)
    assert mean[False] > 0.75 and mean[False] > mean[True] + 0.3, mean
