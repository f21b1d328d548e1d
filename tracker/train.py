"""Offline multi-domain training of CMI (MDNet scheme) on GTOT, RGBT234/210, LasHeR, VOT-format data and still pairs.

``python -m tracker.train --data gtot:PATH --data vot:PATH [--config FILE] [key=value ...] --out DIR``
and the same under ``torchrun --nproc_per_node=N`` (DistributedDataParallel, gloo on CPU, nccl on GPU).

Each step every process takes one training sequence (its domain, with its own fc6 head), a few
frames of it, crops each around the ground truth as the tracker would (jittered centre and zoom),
and trains projection, CMI and fc4/fc5 on RoIAlign-pooled positives and negatives with
cross-entropy. A step's samples and dropout depend only on (seed, step, rank), so ``--resume``
continues exactly; checkpoints are atomic.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .config import Config, ConfigError
from .data.augment import misregister, sensor_effects
from .data.datasets import KINDS, parse_data_spec, read_dataset
from .data.stills import PseudoSequence, pseudo_sequences, read_stills
from .frames import read_registered
from .geometry import iou
from .model.checkpoint import CheckpointError, save_checkpoint, tensor_digest
from .model.network import CMINet
from .tracking import sampling
from .tracking.crop import crop_scale, cut, make_crop

log = logging.getLogger("tracker.train")
DATA_KINDS = (*KINDS, "stills")  # stills: real registered still pairs made into pseudo-sequences (tracker.data.stills)


# --- data ------------------------------------------------------------------------------------
def valid_frames(boxes: np.ndarray) -> np.ndarray:
    """Indices of frames whose box is usable for training (finite, positive size; datasets mark absence by 0s)."""
    ok = np.isfinite(boxes).all(axis=1) & (boxes[:, 2] >= 4) & (boxes[:, 3] >= 4)
    return np.flatnonzero(ok)


class StepSamples(Dataset):
    """Item ``step``: this process's training crops and sample boxes for one optimizer step.

    Depends only on (seed, step, rank), so a resumed run sees the same data as an uninterrupted one.
    """

    def __init__(self, sequences: list, cfg: Config, rank: int, world: int, sources: Optional[list] = None) -> None:
        self.sequences = sequences
        self.cfg = cfg
        self.rank = rank
        self.pool = balanced_pool(sources or [0] * len(sequences))
        # The distributed sampler deals each epoch's shuffled sequence order out over the processes.
        self.sampler = DistributedSampler(self.pool, num_replicas=world, rank=rank,
                                          shuffle=True, seed=cfg.train.seed, drop_last=False)
        self.per_epoch = len(self.sampler)
        self._epoch, self._order = -1, []
        self.usable = [valid_frames(s.boxes) for s in sequences]

    def __len__(self) -> int:
        return self.cfg.train.steps

    def domain(self, step: int) -> int:
        epoch, index = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            self.sampler.set_epoch(epoch)
            self._epoch, self._order = epoch, [self.pool[i] for i in self.sampler]
        return self._order[index]

    def __getitem__(self, step: int) -> dict:
        tc, mc = self.cfg.train, self.cfg.track
        rng = np.random.default_rng([tc.seed, step, self.rank])
        domain = self.domain(step)
        seq = self.sequences[domain]
        frames = rng.choice(self.usable[domain], size=tc.frames, replace=len(self.usable[domain]) < tc.frames)
        rgb, tir, boxes, labels, owner, skipped = [], [], [], [], [], []
        for f in frames:
            try:
                color, thermal = frame_images(seq, f)
            except OSError as err:
                skipped.append(str(err))  # counted by the trainer, never fatal
                continue
            gt = seq.boxes[f].astype(np.float64)
            size = math.sqrt(gt[2] * gt[3])
            # Crop as the tracker does after the target moved: off-centre and at a slightly wrong zoom.
            centre = gt[:2] + gt[2:] / 2 + tc.center_jitter * size * np.clip(rng.standard_normal(2), -2, 2)
            scale = crop_scale(gt, mc) * tc.scale_jitter ** np.clip(rng.standard_normal(), -2, 2)
            crop = make_crop(centre, mc.crop_size / scale, mc.crop_size)
            pos = sampling.positives(rng, gt, tc.batch_pos)
            neg = sampling.negatives(rng, gt, tc.batch_neg, crop.area(), max_iou=0.5)
            k = len(rgb)
            # Boxes follow the thermal crop; a shifted colour crop is a misregistered colour camera.
            crop_rgb = make_crop(*misregister(rng, centre, mc.crop_size / scale, tc.misregister), mc.crop_size)
            rgb.append(_augmented(rng, cut(color, crop_rgb, 3), False, tc.augment))
            tir.append(_augmented(rng, cut(thermal, crop, 1), True, tc.augment))
            boxes.append(crop.boxes_to_crop(np.concatenate([pos, neg])))
            labels.append(torch.cat([torch.ones(len(pos)), torch.zeros(len(neg))]).long())
            owner.append(torch.full((len(pos) + len(neg),), k))
        # Modality dropout: 0 keeps both, 1 zeroes RGB, 2 zeroes thermal (what the tracker sees when one is missing).
        drop = torch.from_numpy((rng.random(len(rgb)) < tc.modality_dropout) * rng.integers(1, 3, len(rgb)))
        if not rgb:
            return {"domain": domain, "skipped": skipped, "frames": 0}
        return {"domain": domain, "skipped": skipped, "frames": len(rgb), "rgb": torch.cat(rgb), "tir": torch.cat(tir),
                "boxes": torch.cat(boxes), "labels": torch.cat(labels), "owner": torch.cat(owner), "drop": drop}


def frame_images(seq, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(colour RGB, thermal) of a training frame on the thermal grid (the ground truth's); OSError if unreadable."""
    if isinstance(seq, PseudoSequence):
        return seq.images(index)
    return read_registered(str(seq.color[index]), str(seq.ir[index]))


def balanced_pool(sources: list[int]) -> list[int]:
    """Sequence indices, each source's repeated up to the largest source's count, so every ``--data`` source gets the
    same share of the steps whatever its size (each sequence keeps its own domain head)."""
    groups: dict[int, list[int]] = {}
    for index, source in enumerate(sources):
        groups.setdefault(source, []).append(index)
    most = max(len(g) for g in groups.values())
    return [g[k % len(g)] for g in groups.values() for k in range(most)]


def _augmented(rng: np.random.Generator, crop: torch.Tensor, thermal: bool, p: float) -> torch.Tensor:
    """(1, C, S, S) float crop -> uint8 with sensor effects (tracker.data.augment) drawn with probability p."""
    img = crop[0].permute(1, 2, 0).to(torch.uint8).numpy()
    img = sensor_effects(rng, img[..., 0] if thermal else img, thermal, p)
    out = torch.from_numpy(np.ascontiguousarray(img))
    return (out[None, None] if thermal else out.permute(2, 0, 1)[None]).contiguous()


class TrainStep(torch.nn.Module):
    """The loss of one step as a module, so DistributedDataParallel's hooks see the forward pass."""

    def __init__(self, net: CMINet) -> None:
        super().__init__()
        self.net = net

    def forward(self, batch: dict, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if not batch["frames"]:  # every frame unreadable: a zero loss keeps the processes' all-reduces in step
            zero = sum(p.sum() * 0 for p in self.net.parameters() if p.requires_grad)
            return zero, torch.tensor(float("nan"))
        return batch_loss(self.net, batch, device)


def batch_loss(net: CMINet, batch: dict, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy of the batch's domain head over all frames' samples; also the accuracy."""
    f_r, f_t = net.extract(batch["rgb"].to(device).float(), batch["tir"].to(device).float())  # (F, C, S/s, S/s)
    keep = torch.stack([batch["drop"] != 1, batch["drop"] != 2], 1).float().to(device)  # (F, 2)
    f_r, f_t = f_r * keep[:, 0, None, None, None], f_t * keep[:, 1, None, None, None]
    owner, boxes = batch["owner"], batch["boxes"].to(device)
    x = torch.cat([net.candidate_features((f_r[k : k + 1], f_t[k : k + 1]), boxes[owner == k])
                   for k in range(batch["frames"])])  # (N, feature_dim)
    logits = net.classifier(x, domain=batch["domain"])
    labels = batch["labels"].to(device)
    return F.cross_entropy(logits, labels), (logits.argmax(1) == labels).float().mean().detach()


# --- optimisation ------------------------------------------------------------------------------
def make_optimizer(net: CMINet, tc) -> torch.optim.Optimizer:
    heads = list(net.classifier.domains.parameters())
    ids = {id(p) for p in heads}
    shared = [p for p in net.parameters() if p.requires_grad and id(p) not in ids]
    groups = [{"params": shared}, {"params": heads, "lr": tc.lr * tc.head_lr_mult}]
    if tc.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=tc.lr, momentum=0.9, weight_decay=tc.weight_decay)
    return torch.optim.AdamW(groups, lr=tc.lr, weight_decay=tc.weight_decay)


def make_schedule(optimizer: torch.optim.Optimizer, tc) -> torch.optim.lr_scheduler.LambdaLR:
    def factor(step: int) -> float:
        warm = min(1.0, (step + 1) / tc.warmup) if tc.warmup else 1.0
        progress = step / max(tc.steps, 1)
        if tc.schedule == "cosine":
            return warm * 0.5 * (1 + math.cos(math.pi * progress))
        if tc.schedule == "step":
            return warm * 0.1 ** int(progress / 0.4)  # x0.1 at 40 % and 80 %
        return warm

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def weights_digest(net: torch.nn.Module) -> str:
    """SHA-1 of every trainable tensor: equal digests on all ranks prove DDP kept them in step."""
    return tensor_digest((name, p) for name, p in sorted(net.named_parameters()) if p.requires_grad)


# --- validation --------------------------------------------------------------------------------
def validate(net: CMINet, cfg: Config, sequences: list) -> float:
    """Mean IoU of the online tracker, one pass without resets, over the held-out sequences."""
    from .evaluate import track_sequence
    from .tracking import CMITracker

    tracker = CMITracker(cfg, weights=net)  # a copy of this run's weights: online learning leaves `net` alone
    overlaps = []
    for seq in sequences:
        n = min(len(seq), cfg.train.val_frames)
        boxes, _ = track_sequence(tracker, seq, n)
        gt = seq.boxes[1:n]
        valid = np.isfinite(gt).all(axis=1) & (gt[:, 2] > 0)
        overlaps.extend(iou(boxes[1:][valid], gt[valid]).tolist())
    net.train()
    return float(np.mean(overlaps)) if overlaps else float("nan")


# --- entry point -------------------------------------------------------------------------------
def load_sequences(specs: Sequence[str], seed: int) -> tuple[list, list[int], dict]:
    """The training sequences of every ``--data`` spec, each one's source index, and what still pairs gave."""
    sequences, sources, stills = [], [], {}
    for source, spec in enumerate(specs):
        kind, root = parse_data_spec(spec, DATA_KINDS)
        if kind == "stills":
            found, stills[spec] = pseudo_sequences(read_stills(root), seed)
        else:
            found = read_dataset(kind, root)
        log.info("%s: %d sequences from %s", kind, len(found), root)
        sequences.extend(found)
        sources.extend([source] * len(found))
    return sequences, sources, stills


def provenance(specs: Sequence[str], train_seqs: list, val_seqs: list, stills: dict) -> dict:
    """What the weights were trained on: data specs, generator stamps where the folders have one, what the still pairs
    gave, and a digest of every training sequence's name and ground truth (equal digests = the same training data)."""
    h = hashlib.sha1()
    for seq in train_seqs:
        h.update(seq.name.encode())
        h.update(np.ascontiguousarray(seq.boxes, dtype=np.float64).tobytes())
    stamps = {}
    for spec in (s for s in specs if s not in stills):  # generated folders: each sequence file names its generator
        found = [dict(line.split("=", 1) for line in f.read_text().splitlines() if "=" in line)
                 for f in sorted(parse_data_spec(spec, DATA_KINDS)[1].glob("*/sequence"))]
        found = [keys for keys in found if "generator" in keys]
        if found:
            stamps[spec] = {"generator": sorted({k["generator"] for k in found}),
                            "seeds": sorted({int(k["seed"]) for k in found if k.get("seed", "").isdigit()})}
    return {"data": list(specs), "generators": stamps, "stills": stills, "train_sequences": len(train_seqs),
            "validation": [s.name for s in val_seqs], "ground_truth_sha1": h.hexdigest()}


def split_validation(sequences: list, count: int) -> list[bool]:
    """Which sequences to hold out: ``count`` video sequences spread over the list (every k-th), so each dataset can
    contribute; pseudo-sequences of still pairs are never held out (the tracker validates on videos)."""
    videos = [i for i, s in enumerate(sequences) if not isinstance(s, PseudoSequence)]
    if count == 0 or len(videos) <= count:
        return [False] * len(sequences)
    held = {videos[k] for k in np.linspace(0, len(videos) - 1, count + 2)[1:-1].round().astype(int).tolist()}
    return [i in held for i in range(len(sequences))]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tracker.train", description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", required=True, metavar="KIND:PATH",
                        help="training data, repeatable; KIND is gtot, rgbt234, rgbt210, lasher, vot or stills (registered "
                             "still pairs as pseudo-sequences); each source gets the same share of the steps")
    parser.add_argument("--config", help="YAML file with config overrides")
    parser.add_argument("--out", type=Path, required=True,
                        help="run folder: last.pth (resumable), cmi.pth (for tracking), train.log, loss.csv")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pth")
    parser.add_argument("overrides", nargs="*", help="section.key=value, e.g. train.steps=500")
    return parser.parse_intermixed_args(list(argv))  # overrides may come between --data options


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cfg = Config.load(args.config, args.overrides)
    except ConfigError as err:
        print(f"tracker.train: {err}", file=sys.stderr)
        return 2
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) \
        if cfg.device != "cpu" and torch.cuda.is_available() else torch.device("cpu")
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cpu":
        torch.set_num_threads(max(1, cfg.threads // world) if world > 1 else cfg.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    handlers = [logging.StreamHandler(sys.stderr)]
    if rank == 0:
        handlers.append(logging.FileHandler(args.out / "train.log"))
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s [rank {rank}] %(message)s", handlers=handlers)
    try:
        return train(cfg, args, rank, world, device)
    finally:
        if world > 1:
            dist.destroy_process_group()


def train(cfg: Config, args: argparse.Namespace, rank: int, world: int, device: torch.device) -> int:
    tc = cfg.train
    try:
        sequences, sources, stills = load_sequences(args.data, tc.seed)
    except (OSError, ValueError) as err:
        log.error("cannot read training data: %s", err)
        return 2
    held = split_validation(sequences, tc.val_sequences)
    train_seqs = [s for s, h in zip(sequences, held) if not h]
    train_sources = [s for s, h in zip(sources, held) if not h]
    val_seqs = [s for s, h in zip(sequences, held) if h]
    if not train_seqs:
        log.error("no training sequences in %s", ", ".join(args.data))
        return 2
    torch.manual_seed(tc.seed)  # same initial weights on every rank (DDP also broadcasts rank 0's)
    net = CMINet(cfg.model).to(device)
    if tc.freeze_projections:
        net.proj_r.requires_grad_(False)
        net.proj_t.requires_grad_(False)
    net.set_num_domains(len(train_seqs))
    net.to(device).train()
    optimizer = make_optimizer(net, tc)
    schedule = make_schedule(optimizer, tc)
    start = 0
    last = args.out / "last.pth"
    if args.resume:
        start = resume(last, net, optimizer, schedule, len(train_seqs))
        log.info("resumed from %s at step %d", last, start)
    model = TrainStep(net)
    if world > 1:  # each process uses a different domain head per step: the others are unused
        model = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)

    data = StepSamples(train_seqs, cfg, rank, world, train_sources)
    loader = DataLoader(data, batch_size=None, sampler=range(start, tc.steps), num_workers=tc.workers,
                        persistent_workers=False)
    if rank == 0:
        log.info("training on %d sequences (%d held out), %d steps x %d process(es), device %s",
                 len(train_seqs), len(val_seqs), tc.steps, world, device)
    skipped, losses, accs, began = 0, [], [], time.time()
    curve = open(args.out / "loss.csv", "a") if rank == 0 else None  # step,loss,accuracy; resumed runs append
    progress = _progress(rank == 0, start, tc.steps)
    for step, batch in zip(range(start, tc.steps), loader):
        skipped += len(batch["skipped"])
        for reason in batch["skipped"]:
            log.warning("skipped a training frame: %s", reason)
        torch.manual_seed(tc.seed * 1_000_003 + step * 101 + rank)  # dropout draws depend on the step only
        loss, acc = model(batch, device)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        accs.append(float(acc))
        progress.update(1)
        done = step + 1
        if curve:
            curve.write(f"{done},{losses[-1]:.8f},{accs[-1]:.6f}\n")
            curve.flush()
        if rank == 0 and (done % tc.log_every == 0 or done == tc.steps):
            log.info("step %d loss %.4f acc %.3f lr %.2e lambda R %.3f T %.3f skipped %d %.2f s/step", done,
                     np.mean(losses[-tc.log_every:]), np.nanmean(accs[-tc.log_every:]), schedule.get_last_lr()[0],
                     net.cmi.lam["R"].item(), net.cmi.lam["T"].item(), skipped, (time.time() - began) / len(losses))
        if rank == 0 and (done % tc.checkpoint_every == 0 or done == tc.steps):
            _save_state(last, net, cfg, optimizer, schedule, done, [s.name for s in train_seqs])
        if rank == 0 and val_seqs and tc.val_every and done % tc.val_every == 0 and done != tc.steps:
            log.info("step %d validation mean IoU %.3f", done, validate(net, cfg, val_seqs))
    progress.close()
    if curve:
        curve.close()
    if rank == 0:
        if val_seqs:
            log.info("final validation mean IoU %.3f on %s", validate(net, cfg, val_seqs),
                     ", ".join(s.name for s in val_seqs))
        save_checkpoint(args.out / "cmi.pth", net, cfg, domains=False,
                        extra={"steps": tc.steps, "provenance": provenance(args.data, train_seqs, val_seqs, stills)})
        log.info("wrote %s (%.1f MB); %d unreadable training frames skipped", args.out / "cmi.pth",
                 (args.out / "cmi.pth").stat().st_size / 1e6, skipped)
    log.info("final weights sha1 %s", weights_digest(net))
    return 0


def _progress(enabled: bool, start: int, total: int):
    from tqdm import tqdm

    return tqdm(total=total, initial=start, disable=not enabled, unit="step", dynamic_ncols=True)


def _save_state(path: Path, net: CMINet, cfg: Config, optimizer, schedule, step: int, names: list[str]) -> None:
    extra = {"step": step, "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
             "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state()}, "domains": names}
    save_checkpoint(path, net, cfg, extra=extra)


def resume(path: Path, net: CMINet, optimizer, schedule, domains: int) -> int:
    """Restore weights (with the domain heads), optimizer, schedule and RNG; return the next step."""
    if not path.is_file():
        raise CheckpointError(f"--resume: {path} does not exist")
    payload = torch.load(path, map_location="cpu", weights_only=False)
    extra = payload.get("extra", {})
    if len(extra.get("domains", [])) != domains:
        raise CheckpointError(f"--resume: {path} was trained on {len(extra.get('domains', []))} sequences, "
                              f"this run has {domains}; use the same --data")
    net.load_state_dict(payload["state"], strict=False)
    optimizer.load_state_dict(extra["optimizer"])
    schedule.load_state_dict(extra["schedule"])
    torch.set_rng_state(extra["rng"]["torch"])
    np.random.set_state(extra["rng"]["numpy"])
    return int(extra["step"])


if __name__ == "__main__":
    sys.exit(main())
