"""Fast paths equal the reference paths: hinted frame loading (reduced JPEG decoding, region-only conversion)
and the CMI module's no-grad inference path."""
from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tracker.api import FramePart, ReadHint
from tracker.frames import FrameLoader, reduction
from tracker.config import ModelConfig, TrackConfig
from tracker.model.runtime import native_int8
from tracker.tracking.crop import FILL, cut, make_crop, search_crop

FEATURES = 2 * ModelConfig().reduce_dim * ModelConfig().pool_size ** 2  # the default model's fc4 input

W, H = 1280, 960  # thermal grid; colour is stored at 1.5x that size


def texture(rng, h, w, channels):
    """Smooth random texture (JPEG-friendly, like real footage)."""
    small = rng.uniform(0, 255, (h // 16, w // 16, channels)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, channels).clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    """Thermal 1280x960 gray JPEG and colour 1920x1440 JPEG of the same scene, a bright square at thermal
    (700, 400)-(760, 460)."""
    tmp = tmp_path_factory.mktemp("fast")
    rng = np.random.default_rng(1)
    ir = texture(rng, H, W, 1)[..., 0] // 2
    ir[400:460, 700:760] = 250
    color = cv2.resize(np.dstack([ir, ir // 2, 255 - ir]), (W * 3 // 2, H * 3 // 2), interpolation=cv2.INTER_LINEAR)
    paths = {"ir": str(tmp / "ir.jpg"), "color": str(tmp / "color.jpg")}
    cv2.imwrite(paths["ir"], ir, [cv2.IMWRITE_JPEG_QUALITY, 95])
    cv2.imwrite(paths["color"], color, [cv2.IMWRITE_JPEG_QUALITY, 95])
    return paths


def square_centre(t, c: int) -> np.ndarray:
    """Centroid (x, y) of the bright square in channel ``c`` of a (1, C, S, S) crop tensor."""
    img = t[0, c].numpy()
    ys, xs = np.nonzero(img > 200)
    return np.array([xs.mean(), ys.mean()])


def test_reduction_keeps_one_decoded_pixel_per_sample():
    assert [reduction(s) for s in (2.0, 1.0, 0.6, 0.5, 0.3, 0.25, 0.1, 0.01)] == [1, 1, 1, 2, 2, 4, 8, 8]


@pytest.mark.parametrize("expand, size", [(1.0, 192), (1.3, 256), (1.69, 336), (2.0, 384)])
def test_widened_search_crop_keeps_the_zoom(expand, size):
    """After failures the crop grows in pixels (a multiple of 16 for the backbone), never in zoom: the target keeps
    the size in crop pixels that the classifier learnt, and the crop stays centred on the box."""
    track, box = TrackConfig(), np.array([100.0, 50.0, 20.0, 45.0])
    usual, wide = search_crop(box, track), search_crop(box, track, expand)
    assert wide.size == size and wide.scale == pytest.approx(usual.scale)
    np.testing.assert_allclose(wide.origin + wide.size / wide.scale / 2, box[:2] + box[2:] / 2)


@pytest.mark.parametrize("side", [200.0, 480.0, 900.0])  # crop scale 0.96 (whole decode), 0.4 (1/2), 0.21 (1/4)
def test_hinted_crop_matches_whole_frame_crop(frame, side):
    loader = FrameLoader()
    ref = loader.load(frame)  # first frame: whole arrays, colour resampled onto the thermal grid
    assert ref["color"].shape == (H, W, 3)
    crop = make_crop(np.array([730.0, 430.0]), side, 192)
    fast = loader.load(frame, ReadHint(crop.area(), crop.scale))
    for channel, n, c in (("ir", 1, 0), ("color", 3, 2)):  # the colour file's blue channel holds the square
        part = fast[channel]
        assert isinstance(part, FramePart) and part.full_size == (W, H)
        # Decoded at the reduction the crop scale allows (colour: 1.5 file pixels per thermal pixel), only the area.
        k = 1.5 if channel == "color" else 1.0
        assert part.step[0] == pytest.approx(reduction(crop.scale / k) / k)
        assert part.pixels.shape[1] * part.step[0] < side * 1.3
        a, b = cut(ref[channel], crop, n), cut(part, crop, n)
        # Same image up to the decoders' smoothing: mean difference of a few grey levels out of 255.
        assert float((a - b).abs().mean()) < 4.0, channel
        # The square sits at the same crop position: the part maps onto full-resolution thermal pixels.
        assert np.abs(square_centre(a, c) - square_centre(b, c)).max() < 1.0


def test_hint_outside_the_part_reads_fill_not_garbage(frame):
    loader = FrameLoader()
    loader.load(frame)
    crop = make_crop(np.array([100.0, 100.0]), 300, 96)
    part = loader.load(frame, ReadHint(crop.area(), crop.scale))["ir"]
    far = make_crop(np.array([1100.0, 800.0]), 300, 96)  # a crop the hint did not cover
    assert float(cut(part, far, 1).sub(FILL).abs().max()) == 0.0


def test_cut_blurs_only_the_region_it_reads():
    """Blurring the source rectangle of the crop equals blurring the whole image (the earlier cut)."""
    rng = np.random.default_rng(2)
    image = texture(rng, 600, 800, 3)
    for centre, exact in (((300.0, 250.0), True), ((520.0, 380.0), False)):
        crop = make_crop(np.array(centre), 700.0 if exact else 400.0, 128)  # scale 0.18 / 0.32: blur kernel 5 / 3
        s = crop.scale
        k = int(1 / s) | 1
        inverse = np.array([[1 / s, 0, crop.origin[0]], [0, 1 / s, crop.origin[1]]], np.float64)
        whole = cv2.warpAffine(cv2.GaussianBlur(image, (k, k), 0), inverse, (128, 128),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=(FILL,) * 3).astype(np.float32)
        region = cut(image, crop, 3)[0].permute(1, 2, 0).numpy()
        if exact:  # the crop reaches past the image's top-left corner: the region starts at pixel (0, 0)
            assert np.array_equal(region, whole)
        else:  # a region inside the image: OpenCV's float32 coordinates round its shifted map a little differently
            assert np.abs(region - whole).max() <= 1.0 and (region != whole).mean() < 0.02


def test_full_resolution_parts_give_the_whole_frame_crop_exactly(frame):
    """Where the loader decodes at full resolution (crop scale above 1/2), the part cut from the hinted area gives
    bit for bit the crop of the whole frame: the hinted path changes tracking only where it decodes reduced."""
    loader = FrameLoader()
    whole = loader.load(frame)
    rng = np.random.default_rng(3)
    for _ in range(20):
        crop = make_crop(rng.uniform([0, 0], [W, H]), rng.uniform(60, 380), 192)  # scale 0.5-3.2
        part = loader.load(frame, ReadHint(crop.area(), crop.scale))
        assert part["ir"].step == (1.0, 1.0)
        assert torch.equal(cut(whole["ir"], crop, 1), cut(part["ir"], crop, 1))


def test_bad_files_on_the_hinted_path(frame, tmp_path, caplog):
    loader = FrameLoader()
    loader.load(frame)
    hint = ReadHint((600.0, 300.0, 300.0, 300.0), 0.3)
    corrupt = tmp_path / "bad.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with caplog.at_level(logging.WARNING, logger="tracker"):
        images = loader.load({"color": str(corrupt), "ir": frame["ir"] + ".missing"}, hint)
    assert images == {"color": None, "ir": None}
    assert "cannot be decoded" in caplog.text and "does not exist" in caplog.text
    # A file that changes size mid-sequence goes through the reference path: resampled onto the grid.
    small = tmp_path / "small.jpg"
    cv2.imwrite(str(small), cv2.imread(frame["color"])[::3, ::3])
    images = loader.load({"color": str(small), "ir": frame["ir"]}, hint)
    assert isinstance(images["color"], np.ndarray) and images["color"].shape == (H, W, 3)
    assert isinstance(images["ir"], FramePart)


def test_pathlib_paths_read_like_strings_on_the_hinted_path(frame):
    """Callers of the plain API may pass pathlib paths: the hinted path reads them as it reads strings (it used to
    fail every frame after the first, each answered with the last box)."""
    hint = ReadHint((600.0, 300.0, 300.0, 300.0), 0.3)
    paths = {c: Path(p) for c, p in frame.items()}
    as_str, as_path = FrameLoader(), FrameLoader()
    as_str.load(frame)
    as_path.load(paths)
    ref = as_str.load(frame, hint)
    got = as_path.load(paths, hint)
    for channel in ("color", "ir"):
        assert isinstance(got[channel], FramePart)
        np.testing.assert_array_equal(got[channel].pixels, ref[channel].pixels)


@pytest.mark.parametrize("size", [(W, H), (640, 480)])
def test_tracker_boxes_with_hints_match_whole_frames(tmp_path, size):
    """The CMI tracker (search region, online classifier, box refiner) run by the shared sequence runner, with and
    without read hints, on a generated sequence: boxes from hinted loading stay in full-resolution pixels and agree
    with whole-frame loading. Scaled to 1280x960 (target about 130 px) the loader decodes at 1/2 and the boxes agree
    closely; at 640x480 (targets of 28-70 px, crop scale above 1/2) it decodes at full resolution and they are equal."""
    from bench.speed import scaled_sequence
    from tracker.config import Config
    from tracker.data.datasets import read_sequence
    from tracker.geometry import iou
    from tracker.runner import run_sequence
    from tracker.tracking import CMITracker

    class Recording(CMITracker):
        """The CMI tracker, noting what the loader handed it."""

        def track(self, images):
            self.seen.append(images["ir"])
            return super().track(images)

    seq = read_sequence("vot", scaled_sequence(tmp_path / "seq", 15, size, seed=5, kinds=("textured",)))
    frames = [seq.paths(i) for i in range(len(seq))]
    tracker = Recording(Config.load(None, ["warmup=false"]))
    boxes, seen = {}, {}
    for hinted in (False, True):
        tracker.seen = []
        boxes[hinted] = run_sequence(tracker, frames, seq.boxes[0], hints=hinted).boxes[1:]
        seen[hinted] = tracker.seen
    assert all(isinstance(image, np.ndarray) and image.shape == size[::-1] for image in seen[False])
    assert all(isinstance(part, FramePart) and part.full_size == size for part in seen[True])
    steps = {part.step[0] for part in seen[True]}
    if size == (640, 480):
        assert steps == {1.0}
        np.testing.assert_array_equal(boxes[True], boxes[False])
    else:
        assert max(steps) >= 2  # the fast path did decode at reduced scale
        agree = iou(boxes[False], boxes[True])
        # Measured: 0.94-1.0 per frame (mean 0.98); both paths 0.95-0.96 mean IoU on the ground truth.
        assert agree.mean() > 0.85 and agree.min() > 0.7
    assert iou(boxes[True], seq.boxes[1:]).mean() > 0.8


@pytest.mark.parametrize("mode", ["both", "pixel", "relation", "none"])
def test_cmi_inference_path_equals_autograd_path(mode):
    """The batched-matmul CMI used without autograd gives the 1x1-convolution path's features (float rounding)."""
    from tracker.model.cmi import CrossModalInteraction

    torch.manual_seed(0)
    module = CrossModalInteraction(16, 8, 12, 9, mode)
    with torch.no_grad():
        for lam in module.lam.values():
            lam.uniform_(0.3, 1.0)  # untrained lambda is 0: make the propagated term count
    f_r, f_t = torch.relu(torch.randn(7, 16, 3, 3)), torch.relu(torch.randn(7, 16, 3, 3))
    reference = module(f_r, f_t)  # grad enabled: the convolution path
    assert reference.requires_grad
    with torch.no_grad():
        fast = module(f_r, f_t)
    assert fast.shape == reference.shape == (7, 24, 3, 3)
    assert torch.allclose(fast, reference.detach(), atol=1e-5, rtol=1e-5)
    assert module.interacts() == (mode != "none")
    # The propagated term matters in these weights: zeroing lambda changes the output (except plain concat).
    with torch.no_grad():
        for lam in module.lam.values():
            lam.zero_()
        assert not module.interacts()
        concat = module(f_r, f_t)  # lambda = 0: the inference path skips Q, K and the message
        assert torch.allclose(concat, fast, atol=1e-5) == (mode == "none")
    assert torch.allclose(concat, module(f_r, f_t).detach(), atol=1e-5, rtol=1e-5)  # == the convolution path


@pytest.mark.parametrize("lam, fixed", [(0.0, False), (0.5, False), (0.0, True)])
def test_region_reduced_before_pooling_equals_cmi_per_candidate(lam, fixed):
    """Concat fusion (lambda = 0) applies psi's reduction to the search region's maps before RoIAlign: every
    view's candidate features equal the CMI module run on each candidate's pooled cells. An interacting module
    keeps the per-candidate path. ``fixed``: the shipped projections, whose identity reduction is skipped."""
    from tracker.config import ModelConfig, TrackConfig
    from tracker.model import projection
    from tracker.model.checkpoint import resolve_weights
    from tracker.model.network import CMINet
    from tracker.tracking.search import VIEWS, SearchRegion

    torch.manual_seed(0)
    net = CMINet(ModelConfig(cmi_mode="both"), imagenet=False)
    if fixed:
        projection.apply(net, projection.load(resolve_weights(ModelConfig().projection)))
    with torch.no_grad():
        for p in net.cmi.lam.values():
            p.fill_(lam)
    rng = np.random.default_rng(0)
    images = {"color": rng.integers(0, 256, (240, 320, 3), np.uint8), "ir": rng.integers(0, 256, (240, 320), np.uint8)}
    box = np.array([140.0, 100.0, 40.0, 30.0])
    boxes = np.concatenate([box + rng.normal(0, 6, (40, 4)), [[0.0, 0.0, 300.0, 200.0], [290.0, 5.0, 60.0, 60.0]]])
    region = SearchRegion.extract(net, images, box, TrackConfig(), torch.device("cpu"))
    assert (region.reduced_bias is not None) == (lam == 0.0)
    if lam == 0.0:
        assert all((w is None) == fixed for w, _ in net.cmi.concat_reduction().values())
    pooled = region.pool(boxes)
    views = ("rgbt", "rgb", "tir")
    fast = region.fuse(pooled, views)
    rgb, tir = cut(images["color"], region.crop, 3), cut(images["ir"], region.crop, 1)
    with torch.no_grad():  # the reference: unreduced maps, RoIAlign, then the CMI module per candidate
        p_r, p_t = net.pool(net.extract(rgb, tir), region.crop.boxes_to_crop(boxes))
        reference = [net.cmi(p_r * VIEWS[v][0], p_t * VIEWS[v][1]).flatten(1) for v in views]
    for a, b in zip(fast, reference):
        assert a.shape == b.shape == (len(boxes), net.feature_dim)
        assert float(b.abs().max()) > 0.05  # far above the tolerance below: not all zero (random backbone)
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("stride, hierarchical", [(8, True), (8, False), (16, False)])  # default, -, offline files
def test_onnx_runtime_features_equal_pytorch(stride, hierarchical):
    """The frozen backbone and projections through ONNX Runtime give PyTorch's features, at any crop size."""
    from tracker.config import ModelConfig
    from tracker.model.network import CMINet

    torch.manual_seed(0)
    net = CMINet(ModelConfig(stride=stride, hierarchical=hierarchical))
    net.accelerate("onnxruntime", threads=2)
    assert net.fast_features is not None
    for side in (192, 128):
        rgb, tir = torch.rand(1, 3, side, side) * 255, torch.rand(1, 1, side, side) * 255
        with torch.no_grad():
            fast = net.extract(rgb, tir)
        with torch.enable_grad():  # autograd always takes the PyTorch path
            reference = net.extract(rgb, tir)
        for a, b in zip(fast, reference):
            assert a.shape == b.shape == (1, net.cfg.embed_dim, side // stride, side // stride)
            assert float(b.detach().abs().max()) > 0.1  # projections of real activations, not all zero
            assert torch.allclose(a, b.detach(), atol=1e-4, rtol=1e-4)


def test_missing_onnx_runtime(monkeypatch, caplog):
    """``backend=onnxruntime`` without the package stops with its name; ``auto`` falls back to PyTorch and says so."""
    import sys

    from tracker.config import ModelConfig
    from tracker.model.network import CMINet
    from tracker.model.onnx_backbone import BackendError

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime raises ImportError
    net = CMINet(ModelConfig())
    with pytest.raises(BackendError, match="backend=onnxruntime: onnxruntime or onnx is not installed"):
        net.accelerate("onnxruntime", threads=2)
    with caplog.at_level(logging.WARNING, logger="tracker"):
        net.accelerate("auto", threads=2)
    assert net.fast_features is None and "runs in PyTorch" in caplog.text
    net.accelerate("torch", threads=2)
    assert net.fast_features is None


def online_pair(seed: int = 0):
    """Two online classifiers from the same fc weights and fc6 draw: float32 (the reference) and bfloat16."""
    import copy

    from tracker.config import TrackConfig
    from tracker.model.classifier import BinaryClassifier
    from tracker.tracking.online import OnlineClassifier

    torch.manual_seed(seed)
    clf = BinaryClassifier(FEATURES, 256, 0.5)
    pair = []
    for bf16 in (False, True):
        online = OnlineClassifier(copy.deepcopy(clf), TrackConfig(), torch.device("cpu"), bf16=bf16)
        torch.manual_seed(seed + 1)  # same fc6 draw and the same mini-batches in both
        online.reset()
        pair.append(online)
    return pair


def candidate_features(seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Non-negative features (like ReLU maps after RoIAlign) of n targets and n background candidates."""
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(FEATURES, generator=g)
    pos = torch.relu(target + 0.5 * torch.randn(n, FEATURES, generator=g))
    neg = torch.relu(torch.randn(n, FEATURES, generator=g))
    return pos, neg


def ranks(x: torch.Tensor) -> torch.Tensor:
    return x.argsort().argsort().float()


def test_bf16_classifier_scores_and_learns_like_float32():
    """fc_bf16: with the same weights, candidate scores within bfloat16 rounding of float32; after the first frame's
    training both separate unseen targets from background and rank candidates alike; parameters stay float32."""
    ref, fast = online_pair()
    pos, neg = candidate_features(0, 300)
    cands = torch.cat([pos[200:], neg[200:]])  # unseen: 100 targets, 100 background
    for online in (ref, fast):
        online.clf.eval()
    s_ref, s_fast = ref.scores(cands), fast.scores(cands)
    assert s_fast.dtype == torch.float32
    # Measured: max difference 0.6 % of the scores' spread (bfloat16 keeps 8 significant bits).
    assert float((s_fast - s_ref).abs().max()) < 0.03 * float(s_ref.std())
    for online in (ref, fast):
        with torch.enable_grad():
            online.learn_first_frame(pos[:200], neg[:200], pos[:200], neg[:200])
    assert all(p.dtype == torch.float32 for p in fast.clf.parameters())
    s_ref, s_fast = ref.scores(cands), fast.scores(cands)
    for s in (s_ref, s_fast):
        assert s[:100].min() > s[100:].max()
    # 40 steps apart the two trajectories differ (as with any change of rounding); measured rank correlation 0.99.
    assert float(torch.corrcoef(torch.stack([ranks(s_ref), ranks(s_fast)]))[0, 1]) > 0.95


def test_bf16_scoring_reuses_fc4_cast_once_per_step_and_matches_autocast():
    """Scoring casts fc4 to bfloat16 once per optimizer step: the same scores as autocast (which casts on every call),
    bit for bit, before and after an update step changes fc4."""
    _, fast = online_pair()
    pos, neg = candidate_features(1, 300)
    cands = torch.cat([pos[200:], neg[200:]])

    def autocast_scores() -> torch.Tensor:
        with torch.no_grad():
            with torch.autocast("cpu", dtype=torch.bfloat16):
                h4 = fast.clf.fc4(cands)
            logits = fast.clf.head(h4.float())
        return logits[:, 1] - logits[:, 0]

    fast.clf.eval()
    assert torch.equal(fast.scores(cands), autocast_scores())
    with torch.enable_grad():
        fast.train(pos[:200], neg[:200], steps=1)
    assert torch.equal(fast.scores(cands), autocast_scores())  # the cast followed the step


def test_bf16_samples_and_training_step_match_autocast_on_float_features():
    """fc_bf16: samples are kept in bfloat16 (what fc4 reads) and a training step shares one fc4 cast between its
    hard-negative scoring and its gradient; the scores and the updated weights equal autocast's on float32
    features, bit for bit."""
    import copy

    _, fast = online_pair()
    fast.clf.train()  # the first frame's state after learning: dropout on while training
    ref = copy.deepcopy(fast)
    pos, neg = candidate_features(2, 200)
    samples = fast.samples(torch.cat([pos, neg]))
    assert samples.dtype == torch.bfloat16
    fast.clf.eval()
    assert torch.equal(fast.sample_scores(samples), fast.scores(torch.cat([pos, neg])))

    def autocast_step(online, x, labels):  # the reference: autocast over fc4 on float32 inputs
        with torch.enable_grad():
            online.clf.train()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                h4 = online.clf.fc4(x)
            loss = torch.nn.functional.cross_entropy(online.clf.head(h4.float()), labels)
            online.optimizer.zero_grad()
            loss.backward()
            online.optimizer.step()

    x, labels = torch.cat([pos[:32], neg[:96]]), torch.cat([torch.ones(32), torch.zeros(96)]).long()
    torch.manual_seed(5)  # the same dropout draws
    autocast_step(ref, x, labels)
    torch.manual_seed(5)
    with torch.enable_grad():
        fast.clf.train()  # the cast left by the scoring above must carry the gradients
        loss = torch.nn.functional.cross_entropy(fast._logits(fast.samples(x)), labels)
        fast.optimizer.zero_grad()
        loss.backward()
        fast.optimizer.step()
    for a, b in zip(fast.clf.parameters(), ref.clf.parameters()):
        assert a.dtype == torch.float32 and torch.equal(a, b)


@pytest.mark.parametrize("setting, device, native, expected", [
    ("off", "cpu", True, False), ("on", "cpu", False, True), ("auto", "cpu", True, True),
    ("auto", "cpu", False, False), ("auto", "cuda", True, False)])
def test_fc_bf16_setting(monkeypatch, setting, device, native, expected):
    """auto: bfloat16 only on a CPU that multiplies it natively (emulated bfloat16 is slower than float32)."""
    from tracker.model import runtime

    monkeypatch.setattr(runtime, "native_bf16", lambda: native)
    assert runtime.use_bf16(setting, torch.device(device)) is expected


def test_native_bf16_without_torch_helpers(monkeypatch):
    """A torch without the private CPU-feature helpers gets float32, not an AttributeError."""
    from tracker.model import runtime

    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    assert runtime.native_bf16() is False


def test_fc_bf16_rejects_unknown_values():
    from tracker.config import Config, ConfigError

    with pytest.raises(ConfigError, match="fc_bf16"):
        Config.load(None, ["fc_bf16=fast"])


@pytest.mark.parametrize("setting, native, expected", [
    ("off", True, False), ("on", False, True), ("auto", True, True), ("auto", False, False)])
def test_int8_setting(monkeypatch, setting, native, expected):
    """auto: the int8 backbone only on a CPU with VNNI dot products."""
    from tracker.model import runtime

    monkeypatch.setattr(runtime, "native_int8", lambda: native)
    assert runtime.use_int8(setting) is expected


def test_int8_rejects_unknown_values():
    from tracker.config import Config, ConfigError

    with pytest.raises(ConfigError, match="int8"):
        Config.load(None, ["int8=true"])


def test_native_int8_without_torch_helpers(monkeypatch):
    from tracker.model import runtime

    monkeypatch.delattr(torch.cpu, "_is_vnni_supported", raising=False)
    assert runtime.native_int8() is False


@pytest.mark.skipif(not native_int8(), reason="int8=auto runs the float graph on CPUs without VNNI")
def test_int8_backbone_features_match_float_within_tolerance():
    """Where int8=auto runs it (CPUs with VNNI), the int8 graph (calibrated on one draw of photo crops) keeps the
    float features' direction on crops it was not calibrated on: per map cosine >= 0.93, mean >= 0.98 (measured
    0.952 / 0.990 with AVX512-VNNI; 0.897 / 0.943 on an AVX2-only EPYC). Random weights, which the tracker never
    runs, would not say how the ImageNet backbone quantizes: this loads them."""
    from tracker.model.network import CMINet
    from tracker.model.quantize import calibration_batches

    torch.manual_seed(0)
    exact, quantized = CMINet(ModelConfig()), CMINet(ModelConfig())
    quantized.load_state_dict(exact.state_dict())
    exact.accelerate("onnxruntime", threads=2)
    quantized.accelerate("onnxruntime", threads=2, int8=True)
    cosines = []
    with torch.no_grad():
        for batch in calibration_batches(seed=1)[::3]:
            pair = torch.from_numpy(batch)
            for a, b in zip(quantized.extract(pair[:1], pair[1:, :1]), exact.extract(pair[:1], pair[1:, :1])):
                assert a.shape == b.shape
                cosines.append(float(torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0)))
    assert min(cosines) >= 0.93 and np.mean(cosines) >= 0.98, cosines
    assert max(cosines) < 1 - 1e-6  # it did quantize: the int8 graph is not the float one


def test_int8_quantizer_failure_leaves_the_float_graph(monkeypatch, caplog):
    """Where quantization fails, the backbone runs the exact float graph, with a log line naming the failure."""
    import tracker.model.onnx_backbone as onnx_backbone
    from tracker.model.network import CMINet

    def broken(model):
        raise RuntimeError("no calibration photos")

    monkeypatch.setattr(onnx_backbone, "quantize", broken)
    # A session another test built for the same weights would be reused and never reach the quantizer.
    monkeypatch.setattr(onnx_backbone, "_SESSIONS", {})
    torch.manual_seed(0)
    net = CMINet(ModelConfig(), imagenet=False)
    with caplog.at_level(logging.WARNING, logger="tracker"):
        net.accelerate("onnxruntime", threads=2, int8=True)
    assert "int8 quantization failed (RuntimeError: no calibration photos)" in caplog.text
    rgb, tir = torch.rand(1, 3, 128, 128) * 255, torch.rand(1, 1, 128, 128) * 255
    with torch.no_grad():
        fast = net.extract(rgb, tir)
    with torch.enable_grad():
        reference = net.extract(rgb, tir)
    for a, b in zip(fast, reference):
        assert torch.allclose(a, b.detach(), atol=1e-4, rtol=1e-4)
