"""One typed configuration for model, tracking loop and runtime.

Defaults live here; a YAML file and ``section.key=value`` overrides (command
line or ``trackers.ini`` arguments) change them. Unknown keys and values of the
wrong type fail at start-up with a message naming the key, never mid-sequence.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A configuration key or value that cannot be used."""


@dataclass
class ModelConfig:
    """CMI network: backbone, candidate pooling, interaction module, classifier."""

    stride: int = 16  # backbone output stride: 8 or 16
    freeze_stages: bool = True  # keep ImageNet backbone weights fixed
    pool_size: int = 5  # RoIAlign grid (pool_size x pool_size) per candidate
    pool_sampling: int = 1  # bilinear samples per bin side (1 = 4x cheaper than 2, measured)
    embed_dim: int = 64  # channels per modality after a 1x1 projection of the backbone map
    cmi_mode: str = "both"  # none | pixel | relation | both
    cmi_dim: int = 32  # Q/K channels of the 1x1 projections (d in eq. 2)
    reduce_dim: int = 64  # channels per modality after the 1x1 reduction following psi
    fc_dim: int = 256  # width of fc4 / fc5
    dropout: float = 0.5
    modalities: str = "rgbt"  # rgbt | rgb | tir (the other one is zeroed)

    def validate(self) -> None:
        _choice("model.stride", self.stride, (8, 16))
        _choice("model.cmi_mode", self.cmi_mode, ("none", "pixel", "relation", "both"))
        _choice("model.modalities", self.modalities, ("rgbt", "rgb", "tir"))
        for name in ("pool_size", "pool_sampling", "embed_dim", "cmi_dim", "reduce_dim", "fc_dim"):
            _positive(f"model.{name}", getattr(self, name))
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout={self.dropout}: expected 0 <= dropout < 1")


@dataclass
class TrackConfig:
    """Online tracking loop (MDNet family, candidates pooled from one search crop)."""

    seed: int = 0
    crop_size: int = 192  # search crop side in pixels fed to the backbone
    target_size: float = 56.0  # target side (sqrt of area) in crop pixels
    max_upscale: float = 4.0  # cap on crop magnification for tiny targets
    candidates: int = 256  # Gaussian candidates per frame
    top_k: int = 5  # candidates averaged into the new box
    trans_std: float = 0.6  # candidate translation spread, in target sizes
    scale_step: float = 1.05  # candidate scale spread: scale_step ** N(0, 0.5)
    failure_expand: float = 1.3  # search growth per consecutive failure
    max_expand: float = 2.0
    # first frame
    init_pos: int = 300
    init_neg: int = 2000
    init_iters: int = 40
    init_lr: float = 1e-3
    modality_dropout: bool = True  # also train the first frame on each modality alone
    # Fine-tune fc4 online too (MDNet). Off: fc4 stays as trained offline and updates run on its cached
    # activations; needs trained weights, so the tracker turns it on when it runs without them.
    online_fc4: bool = False
    bbreg_samples: int = 600
    bbreg_alpha: float = 1000.0
    # Output box = this blend (centre, log-size) of the regressed box and the plain top-k mean. The regressor is fit
    # on the first frame only; fully trusted it overestimated growing targets (one-pass IoU, first 300 frames of
    # five bench sequences: mean 0.867 at 1.0, 0.881 at 0.5).
    bbreg_weight: float = 0.5
    # Keep that blend only if the classifier scores it above the plain top-k mean box. The regressor reads fused
    # features and mistakes a modality's change for a size change: it shrank the box to a third of the target in
    # thermal crossover and grew it onto the occluder in partial occlusion (bench sequences 06 of seeds 11 and 12).
    bbreg_verify: bool = True
    # Also fit a regressor on each modality alone (the other zeroed); each proposes a box for that verification, and
    # with one channel missing its partner's regressor is used. The thermal one is the most precise on the generated
    # bench, whose ground truth follows thermal (multistart accuracy, seed 12: 0.886 -> 0.893; +2.5 ms per frame).
    bbreg_per_modality: bool = True
    # online update
    batch_pos: int = 32
    batch_neg: int = 96
    hard_neg_pool: int = 256  # negatives scored to pick the hardest batch_neg
    update_lr: float = 5e-4
    update_iters: int = 10
    steps_per_frame: int = 2  # update steps spread over frames (realtime budget)
    long_interval: int = 10  # frames between long-term updates
    short_frames: int = 15  # positives of the last N frames used after a failure
    long_frames: int = 100  # memory length in frames
    frame_pos: int = 16  # positives kept per confident frame
    frame_neg: int = 48  # negatives kept per confident frame
    far_neg: int = 32  # extra negatives sampled over the whole crop each frame
    # After a failure also score this many target-sized boxes spread over the whole widened crop: Gaussian
    # candidates reach about one target size, too little to catch a fast target again (bench sequence 03).
    redetect: int = 128
    min_box: float = 4.0  # smallest output side in pixels
    # The box size moves only scale_lr of the way (in log) to each frame's estimate and stays within
    # [1 / max_scale, max_scale] x the initial size: under partial occlusion the visible part shrinks, and an
    # undamped box shrank with it to a few pixels, then lost the target (bench sequence 03, measured). At 0.5 it
    # still shrank to half the target over 20 frames of partial occlusion and lost it afterwards; 0.2 follows the
    # bench's scale changes (up to 8 % per second) and kept the target (bench/multistart.py, seed 11).
    scale_lr: float = 0.2
    max_scale: float = 3.0

    def validate(self) -> None:
        for name in ("crop_size", "target_size", "candidates", "top_k", "init_pos", "init_neg", "batch_pos",
                     "batch_neg", "hard_neg_pool", "long_interval", "short_frames", "long_frames", "frame_pos",
                     "frame_neg", "min_box", "scale_lr"):
            _positive(f"track.{name}", getattr(self, name))
        if self.top_k > self.candidates:
            raise ConfigError(f"track.top_k={self.top_k}: must not exceed track.candidates={self.candidates}")
        if not 0 <= self.bbreg_weight <= 1:
            raise ConfigError(f"track.bbreg_weight={self.bbreg_weight}: expected 0 <= bbreg_weight <= 1")
        if not 0 < self.scale_lr <= 1 or self.max_scale < 1:
            raise ConfigError(f"track.scale_lr={self.scale_lr}, track.max_scale={self.max_scale}: "
                              "expected 0 < scale_lr <= 1 and max_scale >= 1")
        if self.crop_size % 16:
            raise ConfigError(f"track.crop_size={self.crop_size}: expected a multiple of 16")


@dataclass
class TrainConfig:
    """Offline multi-domain training (MDNet scheme): one fc6 head per training sequence."""

    seed: int = 0
    steps: int = 3000  # optimizer steps (each: one sequence per process)
    frames: int = 4  # frames per step, from one sequence
    batch_pos: int = 32  # positives per frame (IoU >= 0.7)
    batch_neg: int = 96  # negatives per frame (IoU <= 0.5)
    optimizer: str = "adamw"  # adamw | sgd
    lr: float = 1e-3
    head_lr_mult: float = 10.0  # per-sequence fc6 heads: each is trained only on its sequence's few steps
    weight_decay: float = 1e-4
    schedule: str = "cosine"  # cosine | step | constant
    warmup: int = 100  # linear warm-up steps
    center_jitter: float = 0.3  # crop centre offset from the target, in target sizes (tracking's motion)
    scale_jitter: float = 1.15  # crop zoom spread: scale_jitter ** N(0, 1)
    modality_dropout: float = 0.2  # probability a frame trains with one modality zeroed
    checkpoint_every: int = 250
    log_every: int = 25
    val_every: int = 1000  # 0 = only at the end
    val_sequences: int = 2  # held out of the training sequences, tracked one-pass for validation
    val_frames: int = 150  # frames tracked per validation sequence
    workers: int = 1  # data loader processes per training process

    def validate(self) -> None:
        for name in ("steps", "frames", "batch_pos", "batch_neg", "lr", "head_lr_mult", "checkpoint_every", "log_every",
                     "val_frames", "scale_jitter"):
            _positive(f"train.{name}", getattr(self, name))
        _choice("train.optimizer", self.optimizer, ("adamw", "sgd"))
        _choice("train.schedule", self.schedule, ("cosine", "step", "constant"))
        if not 0.0 <= self.modality_dropout < 1.0:
            raise ConfigError(f"train.modality_dropout={self.modality_dropout}: expected 0 <= p < 1")
        for name in ("warmup", "val_every", "val_sequences", "workers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"train.{name}={getattr(self, name)}: expected >= 0")


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    track: TrackConfig = field(default_factory=TrackConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 2  # torch intra-op threads on CPU
    # Track a dummy frame pair at start-up: torch sets up its kernels lazily on first use, which made the
    # first initialize 1.3-1.7 s instead of 0.5 s (measured); the toolkit times initialize, not start-up.
    warmup: bool = True
    weights: str = ""  # checkpoint path; empty = models/cmi.pth if present; "none" = untrained (lambda = 0)
    # The toolkit shows a TraX process's stderr only when it fails; this file keeps every run's log lines.
    log_file: str = ""

    def validate(self) -> "Config":
        self.model.validate()
        self.track.validate()
        self.train.validate()
        _choice("device", self.device, ("auto", "cpu", "cuda"))
        _positive("threads", self.threads)
        return self

    @classmethod
    def load(cls, yaml_path: str | Path | None = None, overrides: typing.Sequence[str] = ()) -> "Config":
        """Defaults, then the YAML file, then ``key=value`` overrides; validated."""
        cfg = cls()
        if yaml_path:
            import yaml

            path = Path(yaml_path)
            try:
                data = yaml.safe_load(path.read_text()) or {}
            except (OSError, yaml.YAMLError) as err:
                raise ConfigError(f"cannot read config file {path}: {err}") from err
            if not isinstance(data, dict):
                raise ConfigError(f"config file {path}: expected a mapping at top level")
            _apply_mapping(cfg, cfg, data, prefix="")
        for item in overrides:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"override {item!r}: expected key=value, e.g. model.cmi_mode=pixel")
            set_value(cfg, key.strip(), value.strip())
        return cfg.validate()


def set_value(cfg: object, dotted: str, raw: object) -> None:
    """Set ``section.key`` on a nested dataclass, coercing ``raw`` to the field type."""
    *parents, leaf = dotted.split(".")
    target = cfg
    for part in parents:
        if not _has_field(target, part):
            raise ConfigError(f"unknown config key {dotted!r}")
        target = getattr(target, part)
    if not _has_field(target, leaf) or dataclasses.is_dataclass(getattr(target, leaf)):
        raise ConfigError(f"unknown config key {dotted!r}")
    hint = typing.get_type_hints(type(target))[leaf]
    setattr(target, leaf, _coerce(dotted, raw, hint))


def _apply_mapping(root: object, target: object, data: dict, prefix: str) -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if not _has_field(target, key) or not dataclasses.is_dataclass(getattr(target, key)):
                raise ConfigError(f"unknown config section {dotted!r}")
            _apply_mapping(root, getattr(target, key), value, prefix=dotted + ".")
        else:
            set_value(root, dotted, value)


def _has_field(obj: object, name: str) -> bool:
    return dataclasses.is_dataclass(obj) and name in {f.name for f in dataclasses.fields(obj)}


def _coerce(key: str, raw: object, hint: type) -> object:
    try:
        if hint is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if hint is int:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(str(raw)) if not isinstance(raw, (int, float)) else int(raw)
        if hint is float:
            value = float(raw)
            if value != value:
                raise ValueError
            return value
        if hint is str:
            return str(raw)
    except (TypeError, ValueError):
        pass
    else:
        raise ConfigError(f"config key {key!r}: unsupported type {hint}")
    raise ConfigError(f"config key {key!r}: cannot use {raw!r} as {hint.__name__}")


def _choice(key: str, value: object, allowed: tuple) -> None:
    if value not in allowed:
        raise ConfigError(f"{key}={value!r}: expected one of {', '.join(map(str, allowed))}")


def _positive(key: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{key}={value}: expected a positive number")
