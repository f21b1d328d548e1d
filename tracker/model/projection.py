"""Fixed feature projections for a network without weights: principal components of the ImageNet backbone's map on
real RGB-T imagery, as concatenated ReLU, instead of random 1x1 projections drawn with the track seed.

Without a weights file the 1x1 projection (backbone map -> embed_dim) and psi's reduction are untrained. Drawn at
random, each zeroes about half of its outputs (ReLU) and they differ from seed to seed. Here each modality's map is
centred and projected on its ``embed_dim / 2`` leading principal components z, and the embedding is [relu(z),
relu(-z)]: nothing of z is lost. psi's reduction passes it through (identity; its message half meets lambda = 0).

Build the file from the real still pairs (training data, never a benchmark):
``python -m tracker.model.projection --stills ../shared/data/real-rgbt-stills --out models/projection.pt``
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch

from ..config import ConfigError, ModelConfig, TrackConfig
from .backbone import EfficientNetLite0Features

RMS = 0.7  # root mean square of the embedding on the fitting crops: the level of the random projections' output,
# which the online learning rates were chosen for


def fit(pairs: list[tuple[np.ndarray, np.ndarray]], components: int, crops_per_pair: int = 2,
        seed: int = 0) -> dict[str, torch.Tensor]:
    """Per modality (R: colour, T: thermal): mean (C,), leading principal directions (components, C) scaled so the
    embedding's RMS is :data:`RMS`, from square crops of ``pairs`` (RGB, thermal) resampled to the default search
    crop, through the default network's backbone."""
    model, crop = ModelConfig(), TrackConfig().crop_size
    backbone = EfficientNetLite0Features(model.stride, hierarchical=model.hierarchical)
    backbone.load_imagenet()
    backbone.eval()
    rng = np.random.default_rng(seed)
    maps: dict[str, list[np.ndarray]] = {"R": [], "T": []}
    with torch.no_grad():
        for rgb, thermal in pairs:
            height, width = thermal.shape[:2]
            for _ in range(crops_per_pair):
                side = rng.uniform(crop / 2, min(height, width))
                x, y = rng.uniform(0, width - side), rng.uniform(0, height - side)
                warp = np.array([[crop / side, 0, -x * crop / side], [0, crop / side, -y * crop / side]])
                color = cv2.warpAffine(rgb, warp, (crop, crop), flags=cv2.INTER_LINEAR)
                ir = cv2.warpAffine(thermal, warp, (crop, crop), flags=cv2.INTER_LINEAR)
                batch = torch.stack([torch.from_numpy(color).float().permute(2, 0, 1),
                                     torch.from_numpy(ir).float()[None].expand(3, -1, -1)])
                for m, f in zip("RT", backbone(batch)):
                    maps[m].append(f.flatten(1).T.numpy())
    out = {}
    for m, rows in maps.items():
        x = np.concatenate(rows).astype(np.float64)
        mean = x.mean(0)
        _, vectors = np.linalg.eigh(np.cov(x - mean, rowvar=False))
        basis = vectors[:, ::-1][:, :components].T  # (components, C), leading first
        z = (x - mean) @ basis.T
        # relu(z)^2 + relu(-z)^2 = z^2: the embedding's mean square over 2 x components channels
        basis *= RMS / np.sqrt((z ** 2).mean() / 2)
        out[f"{m}.mean"] = torch.from_numpy(mean).float()
        out[f"{m}.basis"] = torch.from_numpy(basis.copy()).float()
    return out


def load(path: Path) -> dict[str, torch.Tensor]:
    """The projections stored at ``path``; ConfigError naming the file if it is missing, unreadable or incomplete."""
    try:
        projection = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # missing, truncated, not a torch file: all stop the tracker at start-up alike
        raise ConfigError(f"model.projection={path}: cannot be read ({type(err).__name__}: {err})") from err
    keys = {f"{m}.{k}" for m in "RT" for k in ("mean", "basis")}
    if not isinstance(projection, dict) or not keys <= set(projection):
        raise ConfigError(f"model.projection={path}: not a projection file (expected {sorted(keys)})")
    return projection


def apply(net: torch.nn.Module, projection: dict[str, torch.Tensor]) -> None:
    """Set ``net``'s projections to [P, -P] (x - mean) and psi's reductions to the identity on their F half."""
    cfg: ModelConfig = net.cfg
    components = projection["R.basis"].shape[0]
    if cfg.embed_dim != 2 * components or cfg.reduce_dim != cfg.embed_dim:
        raise ConfigError(f"model.projection holds {components} components: it needs model.embed_dim = "
                          f"model.reduce_dim = {2 * components} (got {cfg.embed_dim}, {cfg.reduce_dim}); "
                          "model.projection= draws the projections at random instead")
    with torch.no_grad():
        for m, proj in (("R", net.proj_r), ("T", net.proj_t)):
            basis, mean = projection[f"{m}.basis"], projection[f"{m}.mean"]
            if basis.shape[1] != proj.in_channels:
                raise ConfigError(f"model.projection is for {basis.shape[1]} backbone channels, the network has "
                                  f"{proj.in_channels} (model.stride / model.hierarchical); model.projection= draws "
                                  "the projections at random instead")
            weight = torch.cat([basis, -basis])
            proj.weight.copy_(weight[:, :, None, None])
            proj.bias.copy_(-weight @ mean)
            reduce = net.cmi.reduce[m]
            reduce.weight.zero_()
            reduce.weight[:, :cfg.embed_dim, 0, 0] = torch.eye(cfg.embed_dim)
            reduce.bias.zero_()


def main(argv=None) -> None:
    from ..data.stills import read_stills
    from ..frames import read_registered

    parser = argparse.ArgumentParser(prog="python -m tracker.model.projection", description=__doc__.splitlines()[0])
    parser.add_argument("--stills", required=True, help="real-rgbt-stills folder (pairs/NAME/{color,ir}.*)")
    parser.add_argument("--out", default="models/projection.pt")
    parser.add_argument("--components", type=int, default=ModelConfig().embed_dim // 2)
    args = parser.parse_args(argv)
    pairs = [read_registered(str(p.color), str(p.ir)) for p in read_stills(Path(args.stills))]
    projection = fit(pairs, args.components)
    torch.save(projection, args.out)
    print(f"{args.out}: {args.components} components per modality from {len(pairs)} still pairs")


if __name__ == "__main__":
    main()
