"""CMI network: ImageNet weights, RoIAlign, the interaction module's equations, checkpoints."""
from __future__ import annotations

import math
import os

import cv2
import matplotlib
import numpy as np
import pytest
import torch

from tracker.config import Config, ModelConfig
from tracker.model.backbone import EfficientNetLite0Features, WeightsError
from tracker.model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tracker.model.cmi import CrossModalInteraction
from tracker.model.network import CMINet
from tracker.model.roi_align import roi_align

from helpers.imagenet import EfficientNetLite0Classifier


def test_imagenet_weights_classify_grace_hopper():
    net = EfficientNetLite0Classifier()
    net.load_imagenet()
    net.eval()
    image = cv2.imread(os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg"))[..., ::-1]
    image = cv2.resize(image, (224, 224), interpolation=cv2.INTER_AREA)
    with torch.no_grad():
        logits = net(torch.from_numpy(image.copy()).permute(2, 0, 1)[None].float())
    assert int(logits.argmax()) == 652  # "military uniform"


def test_hierarchical_features_are_the_stride_8_map_and_the_upsampled_stride_16_map():
    """model.hierarchical: [stage-3 map, stage-5 map resampled onto the stride-8 grid], both from the same weights."""
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 96) * 255
    nets = {}
    for name, args in {"both": (8, None, True), "s8": (8,), "s16": (16,)}.items():
        nets[name] = EfficientNetLite0Features(*args).eval()
        nets[name].load_imagenet()
    with torch.no_grad():
        both, s8, s16 = (nets[n](x) for n in ("both", "s8", "s16"))
    assert both.shape == (1, 40 + 112, 8, 12) and nets["both"].out_channels == 152
    assert torch.allclose(both[:, :40], s8, atol=1e-5)
    up = torch.nn.functional.interpolate(s16, scale_factor=2, mode="bilinear", align_corners=False)
    assert torch.allclose(both[:, 40:], up, atol=1e-5)
    with pytest.raises(ValueError, match="stride=8"):
        ModelConfig(stride=16, hierarchical=True).validate()


def test_wrong_weights_file_is_named(tmp_path):
    bad = tmp_path / "lite0.pth"
    torch.save({"_conv_stem.weight": torch.zeros(32, 3, 3, 3)}, bad)
    with pytest.raises(WeightsError, match="lite0.pth lack"):
        EfficientNetLite0Features(16).load_imagenet(bad)
    with pytest.raises(WeightsError, match="not found"):
        EfficientNetLite0Features(16).load_imagenet(tmp_path / "none.pth")


def _bilinear_zero(feat: np.ndarray, y: float, x: float) -> np.ndarray:
    """Brute-force bilinear sample with zeros outside the map. feat (C, h, w)."""
    c, h, w = feat.shape
    y0, x0 = math.floor(y), math.floor(x)
    out = np.zeros(c)
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                out += wy * wx * feat[:, yy, xx]
    return out


def _roi_reference(feat: np.ndarray, box, stride: float, size: int, sampling: int) -> np.ndarray:
    x1, y1, x2, y2 = np.asarray(box) / stride - 0.5
    out = np.zeros((feat.shape[0], size, size))
    n = size * sampling
    for i in range(size):
        for j in range(size):
            acc = np.zeros(feat.shape[0])
            for si in range(sampling):
                for sj in range(sampling):
                    y = y1 + (i * sampling + si + 0.5) / n * (y2 - y1)
                    x = x1 + (j * sampling + sj + 0.5) / n * (x2 - x1)
                    acc += _bilinear_zero(feat, y, x)
            out[:, i, j] = acc / sampling**2
    return out


def test_roi_align_matches_bruteforce_reference():
    rng = np.random.default_rng(0)
    feat = rng.normal(size=(4, 9, 11))
    boxes = np.array([[10, 12, 60, 50], [-30, -20, 40, 30], [120, 90, 220, 200], [33.3, 7.7, 35.1, 90.2]])
    got = roi_align(torch.from_numpy(feat)[None], torch.from_numpy(boxes), stride=16, size=3, sampling=2)
    for k, box in enumerate(boxes):
        np.testing.assert_allclose(got[k].numpy(), _roi_reference(feat, box, 16, 3, 2), atol=1e-5)
    # A box entirely outside the map pools zeros.
    far = roi_align(torch.from_numpy(feat)[None], torch.tensor([[1000.0, 1000.0, 1100.0, 1100.0]]), 16, 3)
    assert torch.count_nonzero(far) == 0


@pytest.fixture()
def maps():
    g = torch.Generator().manual_seed(0)
    return torch.randn(3, 8, 4, 4, generator=g), torch.randn(3, 8, 4, 4, generator=g)


def _hand_made(mode: str) -> tuple[CrossModalInteraction, torch.Tensor, torch.Tensor]:
    """Two positions, four channels: channels 0-1 one-hot per position (what Q and K read), 2-3 values (V = identity).

    RGB's keys equal its queries, so W_R is the identity (each position attends to itself); thermal's keys swap
    channels 0 and 1, so W_T is the swap (each position attends to the other one).
    """
    cmi = CrossModalInteraction(4, 2, 4, 2, mode)
    pick = torch.zeros(2, 4, 1, 1)
    pick[0, 0] = pick[1, 1] = 20.0  # logits 400 / sqrt(2): softmax rows are one-hot to float precision
    with torch.no_grad():
        for m in "RT":
            cmi.q[m].weight.copy_(pick)
            cmi.k[m].weight.copy_(pick if m == "R" else pick[[1, 0]])
            cmi.v[m].weight.copy_(torch.eye(4)[:, :, None, None])
            for conv in (cmi.q[m], cmi.k[m], cmi.v[m]):
                conv.bias.zero_()
        cmi.lam["R"].fill_(0.5)
        cmi.lam["T"].fill_(-2.0)
    # (N=1, C=4, h=1, w=2): position 0 = [1, 0, values], position 1 = [0, 1, values]
    f_r = torch.tensor([[1.0, 0.0], [0.0, 1.0], [10.0, 30.0], [20.0, 40.0]])[None, :, None, :]
    f_t = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 3.0], [2.0, 4.0]])[None, :, None, :]
    return cmi, f_r, f_t


def test_pixel_level_propagation_uses_the_source_modality_s_affinity():
    """Eq. (1) at pixel level: F_{T->R} = W_T V_T and F_{R->T} = W_R V_R, scaled by lambda_R and lambda_T in psi.

    With W_R = identity and W_T = swap, the thermal message reaching RGB is thermal's values swapped between the
    two positions, and RGB's message to thermal is RGB's values in place. Using the receiving modality's affinity,
    the other modality's values, or the other lambda each gives a different answer.
    """
    cmi, f_r, f_t = _hand_made("pixel")
    torch.testing.assert_close(cmi.pixel_affinity(f_r, "R")[0], torch.eye(2))
    torch.testing.assert_close(cmi.pixel_affinity(f_t, "T")[0], torch.eye(2)[[1, 0]])
    t_to_r, r_to_t = cmi.propagated(f_r, f_t)
    torch.testing.assert_close(t_to_r, f_t[..., [1, 0]])
    torch.testing.assert_close(r_to_t, f_r)
    cat_r, cat_t = cmi.concat(f_r, f_t)  # psi's input: [own map, lambda x message]
    torch.testing.assert_close(cat_r, torch.cat([f_r, 0.5 * f_t[..., [1, 0]]], 1))
    torch.testing.assert_close(cat_t, torch.cat([f_t, -2.0 * f_r], 1))


def test_relation_affinity_is_sharp_where_the_modalities_agree_and_flat_where_they_do_not():
    """Eq. (3): softmax of W_T ⊙ W_R. Here they disagree on every pair, so every position gathers evenly;
    ``both`` averages that with the source modality's own pixel affinity."""
    cmi, f_r, f_t = _hand_made("relation")
    w_r, w_t = cmi.pixel_affinity(f_r, "R"), cmi.pixel_affinity(f_t, "T")
    torch.testing.assert_close(cmi.relation_affinity(w_r, w_t)[0], torch.full((2, 2), 0.5))
    torch.testing.assert_close(cmi.relation_affinity(w_r, w_r)[0], torch.eye(2), atol=0.15, rtol=0)
    assert cmi.relation_affinity(w_r, w_r)[0].diagonal().min() > 0.85  # agreement: the shared pairs dominate
    # A product, not a sum: against an undecided thermal affinity (uniform 1/2) W_T ⊙ W_R = I / 2, so with the initial
    # temperature s = n^2 = 4 each row is softmax([2, 0]) = [0.881, 0.119] (a sum would give softmax([6, 2])).
    undecided = torch.full_like(w_t, 0.5)
    torch.testing.assert_close(cmi.relation_affinity(w_r, undecided)[0].diagonal(), torch.full((2,), 0.8808),
                               atol=1e-4, rtol=0)
    t_to_r, _ = cmi.propagated(f_r, f_t)
    torch.testing.assert_close(t_to_r, f_t.mean(-1, keepdim=True).expand_as(f_t))
    both, f_r, f_t = _hand_made("both")
    t_to_r, r_to_t = both.propagated(f_r, f_t)
    torch.testing.assert_close(t_to_r, 0.25 * f_t + 0.75 * f_t[..., [1, 0]])  # (W_T + uniform) / 2
    torch.testing.assert_close(r_to_t, 0.75 * f_r + 0.25 * f_r[..., [1, 0]])  # (W_R + uniform) / 2


@pytest.mark.parametrize("mode", ["pixel", "relation", "both"])
def test_permutation_equivariance(maps, mode):
    f_r, f_t = maps
    cmi = CrossModalInteraction(8, 4, 6, 16, mode)
    with torch.no_grad():
        cmi.lam["R"].fill_(0.7)
        cmi.lam["T"].fill_(-0.4)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(1))
    shuffle = lambda f: f.flatten(2)[:, :, perm].reshape(f.shape)
    out = cmi(f_r, f_t)
    torch.testing.assert_close(cmi(shuffle(f_r), shuffle(f_t)), shuffle(out))


def test_gradients_reach_lambda_q_k(maps):
    f_r, f_t = maps
    cmi = CrossModalInteraction(8, 4, 6, 16, "both")
    cmi(f_r, f_t).square().sum().backward()
    assert cmi.lam["R"].grad.abs() > 0 and cmi.lam["T"].grad.abs() > 0  # lambda learns away from 0
    with torch.no_grad():
        cmi.lam["R"].fill_(0.5)
        cmi.lam["T"].fill_(0.5)
    cmi.zero_grad()
    cmi(f_r, f_t).square().sum().backward()
    for m in "RT":
        assert cmi.q[m].weight.grad.abs().sum() > 0 and cmi.k[m].weight.grad.abs().sum() > 0


def test_checkpoint_round_trip_and_errors(tmp_path):
    cfg = Config()
    net = CMINet(cfg.model, imagenet=False)
    with torch.no_grad():
        net.cmi.lam["R"].fill_(0.3)
    path = tmp_path / "cmi.pth"
    save_checkpoint(path, net, cfg, extra={"step": 7})
    other = CMINet(cfg.model, imagenet=False)
    assert load_checkpoint(path, other)["extra"]["step"] == 7
    assert float(other.cmi.lam["R"].detach()) == pytest.approx(0.3)
    # frozen backbone is not stored
    assert not any(k.startswith("backbone_") for k in torch.load(path, weights_only=False)["state"])

    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated.pth is not a readable checkpoint"):
        load_checkpoint(truncated, other)
    wrong = CMINet(ModelConfig(reduce_dim=32), imagenet=False)
    with pytest.raises(CheckpointError, match="this model expects"):
        load_checkpoint(path, wrong)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pth", other)
    junk = tmp_path / "junk.pth"
    torch.save({"weights": 1}, junk)
    with pytest.raises(CheckpointError, match="not a CMI checkpoint"):
        load_checkpoint(junk, other)


def test_single_modality_zeroes_the_other():
    net = CMINet(ModelConfig(modalities="rgb"), imagenet=False)
    f_r, f_t = net.extract(torch.rand(1, 3, 64, 64) * 255, torch.rand(1, 1, 64, 64) * 255)
    assert f_t.shape == f_r.shape and torch.count_nonzero(f_t) == 0 and torch.count_nonzero(f_r) > 0


def test_lambda_init_starts_the_propagated_term(maps):
    f_r, f_t = maps
    cmi = CrossModalInteraction(8, 4, 6, 16, "pixel", lambda_init=0.5)
    cat_r, _ = cmi.concat(f_r, f_t)
    assert float(cmi.lam["R"].detach()) == 0.5 and float(cmi.lam["T"].detach()) == 0.5
    assert cat_r[:, 8:].abs().sum() > 0  # eq. 1's lambda_R F_{T->R} is there from the first step


def test_interaction_statistics_read_entropy_and_message_size(maps):
    """bench.interaction's measures: a uniform affinity row has entropy 1 (share of log n), a one-hot row 0; the
    propagated term's share of psi's input is 0 at lambda = 0 and grows with lambda."""
    from bench.interaction import message_share, row_entropy

    n = 16
    assert row_entropy(torch.full((2, n, n), 1 / n)) == pytest.approx(1.0)
    assert row_entropy(torch.eye(n).expand(2, n, n)) == pytest.approx(0.0, abs=1e-6)
    f_r, f_t = maps
    cmi = CrossModalInteraction(8, 4, 6, 16, "both")
    shares = []
    with torch.no_grad():
        for lam in (0.0, 0.1, 1.0):
            cmi.lam["R"].fill_(lam), cmi.lam["T"].fill_(lam)
            shares.append(message_share(cmi, f_r, f_t))
    assert shares[0] == (0.0, 0.0)
    assert all(b == pytest.approx(10 * a) and a > 0 for a, b in zip(shares[1], shares[2])), shares
