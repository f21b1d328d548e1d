"""How much a weights file's cross-modal interaction acts: learned λ (eq. 1), eq. 3's temperature, the affinities'
row entropies (eqs. 2-3) and the propagated term's share of psi's input, on target boxes of real or generated frames.

Run: python -m bench.interaction --root DIR [--root DIR ...] [--frames K] FILE [FILE ...]

Row entropy is given as a share of log n (n = pooled positions per candidate): 1 is a uniform row (every position
receives the candidate's mean of the other modality), 0 a row that picks one position. The message share is
||W_msg λ F_{T->R}|| / ||W_self F_R|| after psi's reduction (and likewise for thermal): how large the propagated
term is next to the modality's own features where fc4 reads them.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch

from tracker.config import Config
from tracker.data.datasets import read_dataset
from tracker.frames import FrameLoader
from tracker.model.checkpoint import configure
from tracker.tracking import sampling
from tracker.model.runtime import load_network
from tracker.tracking.search import SearchRegion


def row_entropy(affinity: torch.Tensor) -> float:
    """Mean row entropy of (N, n, n) row-stochastic matrices, as a share of log n."""
    n = affinity.shape[-1]
    return float(-(affinity * affinity.clamp_min(1e-12).log()).sum(-1).mean() / math.log(n))


def message_share(cmi, f_r: torch.Tensor, f_t: torch.Tensor) -> tuple[float, float]:
    """||reduction of λ x message|| / ||reduction of own features|| per modality (R, T), over the candidates."""
    t_to_r, r_to_t = cmi.propagated(f_r, f_t)
    shares = []
    for m, own, msg in (("R", f_r, t_to_r), ("T", f_t, r_to_t)):
        w = cmi.reduce[m].weight.flatten(1)  # (out, 2C): [own half, message half]
        c = own.shape[1]
        own_out = torch.einsum("oc,nchw->nohw", w[:, :c], own)
        msg_out = torch.einsum("oc,nchw->nohw", w[:, c:], cmi.lam[m] * msg)
        shares.append(float(msg_out.norm() / own_out.norm().clamp_min(1e-12)))
    return shares[0], shares[1]


def measure(weights: str, roots: list[Path], frames: int, boxes_per_frame: int = 32) -> dict:
    """Interaction statistics of ``weights`` on ``frames`` evenly spaced annotated frames of every sequence."""
    cfg = configure(Config.load(overrides=[f"weights={weights}", "device=cpu", "warmup=false"]))
    net, _ = load_network(cfg)
    net.eval()
    cmi = net.cmi
    stats: dict[str, list[float]] = {"ent_R": [], "ent_T": [], "ent_rel": [], "share_R": [], "share_T": []}
    rng = np.random.default_rng(0)
    for root in roots:
        for seq in read_dataset("vot", root):
            loader = FrameLoader()
            for i in np.linspace(0, len(seq) - 1, frames).round().astype(int):
                box = seq.boxes[i]
                if not np.isfinite(box).all() or (box[2:] <= 1).any():
                    continue
                images = loader.load(seq.paths(i))
                region = SearchRegion.extract(net, images, box, cfg.track, torch.device("cpu"))
                with torch.no_grad():
                    # Concat fusion's region holds maps already through psi's reduction: the raw ones are needed.
                    feats = region.feats if region.reduced_bias is None else net.extract(*region.images)
                    f_r, f_t = net.pool(feats, region.crop.boxes_to_crop(sampling.positives(rng, box, boxes_per_frame)))
                    w_r, w_t = cmi.pixel_affinity(f_r, "R"), cmi.pixel_affinity(f_t, "T")
                    stats["ent_R"].append(row_entropy(w_r))
                    stats["ent_T"].append(row_entropy(w_t))
                    stats["ent_rel"].append(row_entropy(cmi.relation_affinity(w_r, w_t)))
                    share_r, share_t = message_share(cmi, f_r, f_t)
                stats["share_R"].append(share_r)
                stats["share_T"].append(share_t)
    n = cfg.model.pool_size ** 2
    return {"weights": weights, "mode": cmi.mode,
            "lambda_R": cmi.lam["R"].item(), "lambda_T": cmi.lam["T"].item(),
            "scale_over_n2": cmi.log_scale.exp().item() / n ** 2,
            **{k: float(np.mean(v)) if v else float("nan") for k, v in stats.items()}, "frames": len(stats["ent_R"])}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.interaction", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append", required=True, help="VOT-layout folder, repeatable")
    parser.add_argument("--frames", type=int, default=5, help="annotated frames per sequence, evenly spaced")
    parser.add_argument("weights", nargs="+", help="weights files (models/*.pth) or 'none'")
    args = parser.parse_args(argv)
    missing = [str(r) for r in args.root if not (r / "list.txt").is_file()]
    if missing:
        print(f"bench.interaction: no VOT-layout folder (list.txt) at {', '.join(missing)}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    print("| file | mode | λ_R | λ_T | s / n² | row entropy W_R | W_T | W_rel | message share R | T | frames |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for weights in args.weights:
        r = measure(weights, args.root, args.frames)
        print(f"| {r['weights']} | {r['mode']} | {r['lambda_R']:.3f} | {r['lambda_T']:.3f} | {r['scale_over_n2']:.2f} "
              f"| {r['ent_R']:.2f} | {r['ent_T']:.2f} | {r['ent_rel']:.2f} | {r['share_R']:.3f} | {r['share_T']:.3f} "
              f"| {r['frames']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
