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

    stride: int = 8  # backbone output stride: 8 (stages 1-3, finer candidate features) or 16 (stages 1-5)
    # With stride 8, also the stride-16 map (stages 4-5) upsampled x2 and concatenated: the fine map localizes, the
    # deeper one recognizes the target again after it was lost.
    hierarchical: bool = True
    freeze_stages: bool = True  # keep ImageNet backbone weights fixed
    pool_size: int = 5  # RoIAlign grid (pool_size x pool_size) per candidate
    pool_sampling: int = 1  # bilinear samples per RoIAlign bin side
    embed_dim: int = 96  # channels per modality after a 1x1 projection of the backbone map
    cmi_mode: str = "both"  # none | pixel | relation | both
    cmi_dim: int = 32  # Q/K channels of the 1x1 projections (d in eq. 2)
    lambda_init: float = 0.0  # initial balance factors lambda_R, lambda_T of eq. 1 (0 = starts as concat fusion)
    # channels per modality after the 1x1 reduction following psi. 96 (fc4 input 4800): better than 64 on development
    # data and real footage, at 1.5x fc4's cost (git history).
    reduce_dim: int = 96
    # width of fc4 / fc5. 128: as accurate as 256 on real footage and the reporting set (docs/method.md) at half of
    # fc4's cost, the classifier's largest (scoring candidates, every online update step); the shipped files use 256.
    fc_dim: int = 128
    dropout: float = 0.5  # dropout probability after fc4 and fc5
    modalities: str = "rgbt"  # rgbt | rgb | tir: the channels used; the other one's features are zeroed
    # Without a weights file, the 1x1 projections and psi's reductions come from this file (tracker.model.projection:
    # principal components of the backbone map on real RGB-T stills, fixed for every track seed); "" = drawn at
    # random with the track seed (docs/method.md).
    projection: str = "models/projection.pt"

    def validate(self) -> None:
        _choice("model.stride", self.stride, (8, 16))
        if self.hierarchical and self.stride != 8:
            raise ConfigError(f"model.hierarchical=true needs model.stride=8 (got {self.stride})")
        _choice("model.cmi_mode", self.cmi_mode, ("none", "pixel", "relation", "both"))
        _choice("model.modalities", self.modalities, ("rgbt", "rgb", "tir"))
        for name in ("pool_size", "pool_sampling", "embed_dim", "cmi_dim", "reduce_dim", "fc_dim"):
            _positive(f"model.{name}", getattr(self, name))
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout={self.dropout}: expected 0 <= dropout < 1")


@dataclass
class TrackConfig:
    """Online tracking loop (MDNet family, candidates pooled from one search crop)."""

    seed: int = 0  # seed of the tracker's random draws (candidates, samples, untrained layers)
    crop_size: int = 192  # search crop side in pixels fed to the backbone
    target_size: float = 56.0  # target side (sqrt of area) in crop pixels
    max_upscale: float = 4.0  # largest crop magnification (tiny targets), x
    # Gaussian candidate boxes scored per frame. 128 (and the hardest 48 of 128 negatives per update step): as
    # accurate on real footage as 256 (and 96 of 256) with the fixed projections, at about a fifth less time a frame
    # (docs/method.md).
    candidates: int = 128
    top_k: int = 5  # best-scoring candidates averaged into the new box
    trans_std: float = 0.6  # candidate centre spread (standard deviation), in target sizes
    scale_step: float = 1.05  # candidate scale spread: scale_step ** N(0, 0.5)
    # Search crop side growth per consecutive failed frame (at the same zoom: more pixels), x; and its largest value.
    failure_expand: float = 1.3
    max_expand: float = 2.0
    # first frame
    init_pos: int = 300  # positive samples (IoU >= 0.7) drawn around the initial box
    init_neg: int = 2000  # negative samples (IoU <= 0.3)
    init_iters: int = 40  # optimizer steps on them
    init_lr: float = 1e-3  # their learning rate
    # Also train on each modality alone (the other zeroed), first frame and online updates; when no fused candidate
    # scores as the target, each modality alone is scored too (thermal crossover, dark RGB).
    modality_dropout: bool = True
    # Fine-tune fc4 online as well as fc5-fc6 (from the weights file's fc4). Off: fc4 stays as trained offline
    # (faster updates, but on real footage mean IoU 0.34 instead of 0.55, git history); without weights the
    # tracker turns it on by itself.
    online_fc4: bool = True
    # Start the online classifier from the weights file's fc4/fc5. Off: fc4/fc5 start fresh (seeded by track.seed) and
    # are learnt online from the first frame, like fc6; only the projections and the interaction come from the file.
    offline_classifier: bool = True
    bbreg_samples: int = 600  # first-frame samples the box regressors are fit on
    bbreg_alpha: float = 1000.0  # ridge penalty of the box regressors
    bbreg_weight: float = 0.5  # output box = this blend (centre, log-size) of the regressed box and the top-k mean
    bbreg_verify: bool = True  # keep the regressed box only if the classifier scores it above the top-k mean box
    # Also fit a regressor on each modality alone; each proposes a box for that check, and with one channel missing
    # the other channel's regressor is used.
    bbreg_per_modality: bool = True
    # online update
    batch_pos: int = 32  # positives per update step
    batch_neg: int = 48  # negatives per update step (the hardest of hard_neg_pool)
    hard_neg_pool: int = 128  # negatives scored to pick the hardest batch_neg
    update_lr: float = 5e-4  # learning rate of online updates
    update_iters: int = 10  # optimizer steps per update
    # Of those, steps run per frame: an update is spread over frames. 1: on real footage as accurate as 2 within the
    # seed spread, and no frame carries two steps' time (docs/method.md).
    steps_per_frame: int = 1
    # An update ends early once the loss of a frame's last step (on its hardest negatives) falls below this; 0 = never.
    # Same accuracy, a third less time per frame (docs/method.md).
    update_stop_loss: float = 0.03
    # Realtime: an update step that would end a track() call later than this many ms after it began waits for the
    # next frame (never two frames in a row). 0 = never wait: the plain API's default, so that offline runs give the
    # same boxes however busy the machine; the TraX adapter sets tracker.vot.REALTIME_BUDGET_MS unless given.
    update_budget_ms: float = 0.0
    long_interval: int = 10  # frames between long-term updates
    short_frames: int = 15  # frames whose positives a short-term update (after a failure) uses
    long_frames: int = 100  # frames kept in the sample memory
    frame_pos: int = 16  # positives kept per confident frame
    frame_neg: int = 48  # negatives kept per confident frame
    # When no nearby candidate scores as the target, the frame's own crop is searched again before the frame counts
    # as lost (fast motion, camera jumps): track.redetect boxes all over it, then redetect_local Gaussian boxes
    # (spread redetect_spread box sides) around the 3 best. Their top-k is taken when it scores above redetect_score
    # and redetect_margin above the nearby candidates'. Chosen on development data and real footage
    # (docs/method.md). 0 = off.
    redetect_local: int = 32
    redetect_spread: float = 0.3
    redetect_score: float = 2.0
    redetect_margin: float = 9.0
    redetect: int = 128  # after a failure, target-sized boxes also scored all over the widened crop
    # Largest gain that stretches a colour search crop whose contrast fell below the first frame's back to it
    # (tracker.tracking.contrast: night, underexposure); 1 = off.
    color_gain: float = 8.0
    color_denoise: float = 1.0  # Gaussian blur before that stretch, sigma = this x log2(gain) crop pixels
    # The first frame also trains on its colour crop at this fraction of the light with Gaussian noise of night_noise
    # grey levels, seen through that gain (tracker.tracking.low_light): the target as it looks at night. 0 = off.
    night_light: float = 0.15
    night_noise: float = 6.0
    min_box: float = 4.0  # smallest output side in pixels
    # The box size from a scale filter learnt online on the search crop (tracker.tracking.scale_filter): scale_steps
    # patch sizes scale_factor apart, learning rate scale_filter_lr (confident frames only). Off: the size is the
    # refined box's, damped by scale_lr.
    scale_filter: bool = True
    scale_steps: int = 17
    scale_factor: float = 1.03
    scale_filter_lr: float = 0.025
    # The box centre from a correlation filter learnt online on the search crop (tracker.tracking.translation_filter)
    # when its peak lies within translation_gate target sizes (sqrt of area) of the classifier's; learning rate
    # translation_filter_lr (confident frames only). Off: the classifier's refined centre.
    translation_filter: bool = True
    translation_filter_lr: float = 0.025
    translation_gate: float = 0.15
    # Share of the way (in log size) the box size moves to each frame's estimate, per frame. Low because partial
    # occlusion shrinks the visible target and a box that follows it fast shrinks with it.
    scale_lr: float = 0.2
    max_scale: float = 3.0  # box size bound, x the initial size (both ways: [1 / max_scale, max_scale])

    def validate(self) -> None:
        for name in ("crop_size", "target_size", "candidates", "top_k", "init_pos", "init_neg", "batch_pos",
                     "batch_neg", "hard_neg_pool", "update_iters", "steps_per_frame", "long_interval", "short_frames",
                     "long_frames", "frame_pos", "frame_neg", "min_box", "scale_lr"):
            _positive(f"track.{name}", getattr(self, name))
        if self.top_k > self.candidates:
            raise ConfigError(f"track.top_k={self.top_k}: must not exceed track.candidates={self.candidates}")
        if not 0 <= self.bbreg_weight <= 1:
            raise ConfigError(f"track.bbreg_weight={self.bbreg_weight}: expected 0 <= bbreg_weight <= 1")
        if not 0 < self.scale_lr <= 1 or self.max_scale < 1:
            raise ConfigError(f"track.scale_lr={self.scale_lr}, track.max_scale={self.max_scale}: "
                              "expected 0 < scale_lr <= 1 and max_scale >= 1")
        if self.color_gain < 1 or self.color_denoise < 0:
            raise ConfigError(f"track.color_gain={self.color_gain}, track.color_denoise={self.color_denoise}: "
                              "expected color_gain >= 1 (1 = off) and color_denoise >= 0")
        # Odd scale_steps: one of the patch sizes is the last box's, where the filter's desired peak lies.
        if self.scale_steps < 3 or self.scale_steps % 2 == 0 or self.scale_factor <= 1 \
                or not 0 < self.scale_filter_lr <= 1:
            raise ConfigError(f"track.scale_steps={self.scale_steps}, track.scale_factor={self.scale_factor}, "
                              f"track.scale_filter_lr={self.scale_filter_lr}: expected odd scale_steps >= 3, "
                              "scale_factor > 1 and 0 < scale_filter_lr <= 1")
        if not 0 < self.translation_filter_lr <= 1 or self.translation_gate < 0:
            raise ConfigError(f"track.translation_filter_lr={self.translation_filter_lr}, track.translation_gate="
                              f"{self.translation_gate}: expected 0 < translation_filter_lr <= 1 and "
                              "translation_gate >= 0")
        if not 0 <= self.night_light < 1 or self.night_noise < 0:
            raise ConfigError(f"track.night_light={self.night_light}, track.night_noise={self.night_noise}: "
                              "expected 0 <= night_light < 1 (0 = off) and night_noise >= 0")
        if self.update_budget_ms < 0:
            raise ConfigError(f"track.update_budget_ms={self.update_budget_ms}: expected >= 0 (0 = never wait)")
        if self.update_stop_loss < 0:
            raise ConfigError(f"track.update_stop_loss={self.update_stop_loss}: expected >= 0 (0 = never stop early)")
        if self.crop_size % 16:
            raise ConfigError(f"track.crop_size={self.crop_size}: expected a multiple of 16")


@dataclass
class TrainConfig:
    """Offline multi-domain training (MDNet scheme): one fc6 head per training sequence."""

    seed: int = 0  # seed of data draws, initial weights and dropout (a resumed run draws the same)
    steps: int = 3000  # optimizer steps (each: one sequence per process)
    frames: int = 4  # frames per step, from one sequence
    batch_pos: int = 32  # positives per frame (IoU >= 0.7)
    batch_neg: int = 96  # negatives per frame (IoU <= 0.5)
    optimizer: str = "adamw"  # adamw | sgd
    lr: float = 1e-3  # peak learning rate
    head_lr_mult: float = 10.0  # learning rate factor of the per-sequence fc6 heads (each sees few steps)
    weight_decay: float = 1e-4
    schedule: str = "cosine"  # cosine | step | constant
    warmup: int = 100  # linear warm-up steps
    center_jitter: float = 0.3  # crop centre offset from the target, in target sizes (tracking's motion)
    scale_jitter: float = 1.15  # crop zoom spread: scale_jitter ** N(0, 1)
    modality_dropout: float = 0.2  # probability a frame trains with one modality zeroed
    augment: float = 0.0  # probability of each sensor effect (tracker.data.augment) per training crop; 0 = off
    # Probability a frame's colour crop is shifted (up to 8 % of its side) and zoomed (up to 5 %) against the thermal
    # one, as by a misregistered colour camera; 0 = off.
    misregister: float = 0.0
    # Keep the 1x1 projections of the backbone maps at their seeded initial draw: the offline data (generated scenes)
    # then shapes only the interaction module and fc4/fc5, not which ImageNet features reach them.
    freeze_projections: bool = False
    checkpoint_every: int = 250  # steps between checkpoints (last.pth, for --resume)
    log_every: int = 25  # steps between log lines
    val_every: int = 1000  # steps between validations; 0 = only at the end
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
        for name in ("augment", "misregister"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"train.{name}={getattr(self, name)}: expected 0 <= p <= 1")
        for name in ("warmup", "val_every", "val_sequences", "workers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"train.{name}={getattr(self, name)}: expected >= 0")


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    track: TrackConfig = field(default_factory=TrackConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 2  # torch intra-op threads (beside a GPU too: crops, sampling and box arithmetic run on the CPU)
    # What runs the frozen backbone on CPU: onnxruntime (about 2.5x faster), torch, or auto (onnxruntime when it
    # loads, else torch with a log line).
    backend: str = "auto"
    # That ONNX Runtime backbone in int8, calibrated on real photographs (tracker.model.quantize): on, off, or auto
    # (on where the CPU has VNNI integer dot products, AVX512-VNNI or AMX: there it is faster and its features stay
    # within tolerance; without VNNI int8 is barely faster and coarser, docs/method.md). No effect with
    # backend=torch or on a GPU.
    int8: str = "auto"
    # Where that int8 graph is kept between processes (its quantization costs about 2 s a process start), named by a
    # digest of the float graph and the quantizer's code and versions; "" = rebuilt in every process.
    cache_dir: str = "~/.cache/cmi-tracker"
    # The classifier's fc4 (scoring and online updates) in bfloat16: on, off, or auto (on where the CPU has native
    # bfloat16 arithmetic, AVX512-BF16 or AMX, where its products run 3-4x faster).
    fc_bf16: str = "auto"
    # Track a dummy frame pair at start-up, so torch's lazy kernel set-up does not land in the first (timed)
    # initialize.
    warmup: bool = True
    # Offline-trained layers to start from (e.g. models/cmi.pth), or "none": projections, CMI and fc4/fc5 from their
    # seeded initial draw (lambda = 0: concat fusion) and the classifier learnt online. "none" is the default because
    # no offline file trained on generated scenes has matched it on real footage (models/README.md, docs/method.md).
    weights: str = "none"
    log_file: str = ""  # also append log lines here (the toolkit shows a tracker's stderr only when it fails)
    # Dotted keys (e.g. "model.cmi_mode") set by the YAML file or an override, filled in by load. A checkpoint's
    # stored model config supplies the other model keys and must not contradict these.
    explicit: typing.ClassVar[frozenset] = frozenset()

    def validate(self) -> "Config":
        self.model.validate()
        self.track.validate()
        self.train.validate()
        _choice("device", self.device, ("auto", "cpu", "cuda"))
        _choice("backend", self.backend, ("auto", "torch", "onnxruntime"))
        _choice("fc_bf16", self.fc_bf16, ("auto", "on", "off"))
        _choice("int8", self.int8, ("auto", "on", "off"))
        _positive("threads", self.threads)
        return self

    @classmethod
    def load(cls, yaml_path: str | Path | None = None, overrides: typing.Sequence[str] = ()) -> "Config":
        """Defaults, then the YAML file, then ``key=value`` overrides; validated."""
        cfg = cls()
        explicit: set[str] = set()
        if yaml_path:
            import yaml

            path = Path(yaml_path)
            try:
                data = yaml.safe_load(path.read_text()) or {}
            except (OSError, yaml.YAMLError) as err:
                raise ConfigError(f"cannot read config file {path}: {err}") from err
            if not isinstance(data, dict):
                raise ConfigError(f"config file {path}: expected a mapping at top level")
            _apply_mapping(cfg, cfg, data, prefix="", seen=explicit)
        for item in overrides:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"override {item!r}: expected key=value, e.g. model.cmi_mode=pixel")
            set_value(cfg, key.strip(), value.strip())
            explicit.add(key.strip())
        cfg.validate()
        cfg.explicit = frozenset(explicit)
        return cfg


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


def _apply_mapping(root: object, target: object, data: dict, prefix: str, seen: set) -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if not _has_field(target, key) or not dataclasses.is_dataclass(getattr(target, key)):
                raise ConfigError(f"unknown config section {dotted!r}")
            _apply_mapping(root, getattr(target, key), value, prefix=dotted + ".", seen=seen)
        else:
            set_value(root, dotted, value)
            seen.add(dotted)


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
