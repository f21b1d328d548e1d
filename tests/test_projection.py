"""Fixed projections of a network without weights (tracker.model.projection): the embedding is the concatenated
ReLU of the leading principal components, the fit is what it says, and mismatched settings are refused."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tracker.config import Config, ConfigError, ModelConfig
from tracker.model import projection
from tracker.model.network import CMINet
from tracker.model.runtime import load_network


def natural_pairs(count: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Blocky random colour images, each with a thermal image that is a function of it."""
    pairs = []
    for _ in range(count):
        small = rng.uniform(0, 255, (12, 16, 3)).astype(np.float32)
        rgb = np.kron(small, np.ones((20, 20, 1))).astype(np.uint8)
        pairs.append((rgb, (255 - rgb.mean(2)).astype(np.uint8)))
    return pairs


@pytest.fixture(scope="module")
def fitted():
    return projection.fit(natural_pairs(3, np.random.default_rng(0)), components=8, crops_per_pair=2)


def test_fit_gives_orthogonal_leading_directions_at_the_stated_level(fitted):
    for m in "RT":
        basis = fitted[f"{m}.basis"].double()
        gram = basis @ basis.T
        scale = gram.diagonal()
        assert torch.allclose(gram, torch.diag(scale), atol=1e-4 * float(scale.max()))  # orthogonal rows
        assert torch.allclose(scale, scale[0].expand_as(scale), rtol=1e-4)  # one scale for all directions
        assert fitted[f"{m}.mean"].shape == (basis.shape[1],)


def test_embedding_is_the_concatenated_relu_of_the_components(fitted):
    cfg = ModelConfig(embed_dim=16, reduce_dim=16)
    net = CMINet(cfg, imagenet=False)
    projection.apply(net, fitted)
    maps = torch.randn(2, net.proj_r.in_channels, 6, 6)
    for m, proj in (("R", net.proj_r), ("T", net.proj_t)):
        z = torch.einsum("kc,bchw->bkhw", fitted[f"{m}.basis"], maps - fitted[f"{m}.mean"][None, :, None, None])
        assert torch.allclose(torch.relu(proj(maps)), torch.cat([torch.relu(z), torch.relu(-z)], 1), atol=1e-4)
    # psi's reduction passes each modality's embedding through (lambda = 0: concat fusion)
    f_r, f_t = torch.rand(3, 16, 5, 5), torch.rand(3, 16, 5, 5)
    with torch.no_grad():
        fused = net.cmi(f_r, f_t)
    assert torch.allclose(fused, torch.cat([f_r, f_t], 1), atol=1e-6)


def test_mismatched_sizes_are_refused(fitted):
    with pytest.raises(ConfigError, match="embed_dim"):
        projection.apply(CMINet(ModelConfig(embed_dim=32, reduce_dim=32), imagenet=False), fitted)
    with pytest.raises(ConfigError, match="backbone channels"):
        projection.apply(CMINet(ModelConfig(embed_dim=16, reduce_dim=16, hierarchical=False), imagenet=False), fitted)


def test_a_network_without_weights_projects_alike_at_every_track_seed():
    """The default (weights=none) loads the shipped projections: its features no longer depend on the track seed,
    and the file fits the default network."""
    nets = []
    for seed in (0, 1):
        torch.manual_seed(seed)  # what Runtime.start does before building the network
        nets.append(load_network(Config.load(None, [f"track.seed={seed}"]))[0])
    for name in ("proj_r.weight", "proj_t.bias", "cmi.reduce.R.weight", "cmi.reduce.T.bias"):
        assert torch.equal(nets[0].state_dict()[name], nets[1].state_dict()[name]), name
    torch.manual_seed(0)
    drawn = load_network(Config.load(None, ["model.projection="]))[0]  # "": drawn at random as before
    assert not torch.equal(drawn.proj_r.weight, nets[0].proj_r.weight)


def test_a_missing_or_foreign_projection_file_stops_at_start_up(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_network(Config.load(None, [f"model.projection={tmp_path / 'none.pt'}"]))
    (tmp_path / "cut.pt").write_bytes(b"\x80\x02trunc")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_network(Config.load(None, [f"model.projection={tmp_path / 'cut.pt'}"]))
    torch.save({"R.mean": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ConfigError, match="not a projection file"):
        load_network(Config.load(None, [f"model.projection={tmp_path / 'other.pt'}"]))
    with pytest.raises(ConfigError, match="model.embed_dim"):
        load_network(Config.load(None, ["model.embed_dim=64", "model.reduce_dim=64"]))
