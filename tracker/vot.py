"""TraX entry point: ``python -m tracker.vot [--tracker cmi|ncc] [--config FILE] [key=value ...]``.

A thin adapter between the VOT toolkit and the plain tracker API: it announces the
``color`` and ``ir`` channels, accepts rectangles and polygons, and always answers a
rectangle with a ``confidence`` property. Configuration problems stop the process
before the handshake (exit code 2, one line on stderr); a failed initialization is
reported to the toolkit with its reason; an exception while tracking one frame is
logged with the frame index and answered with the last good box at confidence 0.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

import numpy as np

from .config import Config, ConfigError
from .factory import TRACKERS, build_tracker
from .geometry import RegionError, polygon_to_box
from .runner import SequenceRunner

log = logging.getLogger("tracker")

# track.update_budget_ms under TraX: vot2019/rgbtir's realtime mode (20 fps, 3 grace frames) skips the next frame
# after an answer over 100 ms; the rest of that is left to frame loading and TraX (bench/speed.md).
REALTIME_BUDGET_MS = 80.0


def parse_args(argv: Sequence[str]) -> tuple[str, Config]:
    parser = argparse.ArgumentParser(prog="python -m tracker.vot", description=__doc__.splitlines()[0])
    parser.add_argument("--tracker", default="cmi", choices=TRACKERS)
    parser.add_argument("--config", help="YAML file with config overrides")
    parser.add_argument("overrides", nargs="*", help="section.key=value, e.g. model.cmi_mode=pixel")
    args = parser.parse_args(list(argv))
    cfg = Config.load(args.config, args.overrides)
    if "track.update_budget_ms" not in cfg.explicit:
        cfg.track.update_budget_ms = REALTIME_BUDGET_MS
    return args.tracker, cfg


def region_to_box(region) -> np.ndarray:
    """(x, y, w, h) from a TraX rectangle or polygon (axis-aligned bounds of the points)."""
    from trax.region import Polygon, Rectangle

    if isinstance(region, Rectangle):
        return np.asarray(region.bounds(), dtype=np.float64)
    if isinstance(region, Polygon):
        return polygon_to_box([coord for point in region for coord in point])
    if type(region).__name__ == "Special":  # what a NaN or empty annotation reaches the tracker as
        raise RegionError("initial region is empty (a VOT special region: the annotation has no valid box "
                          "for this frame, e.g. NaN values); expected a rectangle or polygon")
    raise RegionError(f"unsupported region type {type(region).__name__}; expected a rectangle or polygon")


def image_paths(request) -> dict[str, Optional[str]]:
    return {channel: image.path() for channel, image in (request.image or {}).items()}


class Session:
    """One TraX session: requests to image paths and regions for the sequence runner, which keeps the last answer."""

    def __init__(self, tracker) -> None:
        self.runner = SequenceRunner(tracker)
        self.times: list[tuple[float, float]] = []  # (load, track) seconds per frame of this sequence

    def log_times(self) -> None:
        """One line with this sequence's frame loading vs tracking time (bench/speed.py reads it)."""
        if self.times:
            load, track = np.array(self.times).T * 1000
            log.info("timing: %d frames, load median %.2f ms, track median %.2f ms, load + track median %.2f ms",
                     len(load), np.median(load), np.median(track), np.median(load + track))
        self.times = []

    def initialize(self, request) -> np.ndarray:
        if not request.objects:
            raise RegionError("initialization request carries no region")
        self.log_times()
        paths = image_paths(request)
        log.info("initialize on %s", " ".join(f"{c}={p}" for c, p in paths.items()))
        return self.runner.initialize(paths, region_to_box(request.objects[0][0]))

    def track(self, request) -> tuple[np.ndarray, float]:
        answer = self.runner.track(image_paths(request))
        self.times.append((self.runner.load_seconds, self.runner.track_seconds))
        return answer


def serve(tracker) -> int:
    import trax
    from trax.image import Image
    from trax.region import Rectangle, Region

    server = trax.server.Server(
        [Region.RECTANGLE, Region.POLYGON], [Image.PATH], image_channels=["color", "ir"],
        tracker_name=getattr(tracker, "name", "tracker"),
    )
    session = Session(tracker)
    try:
        while True:
            request = server.wait()
            if request.type == trax.TraxStatus.QUIT:
                session.log_times()
                break
            if request.type == trax.TraxStatus.INITIALIZE:
                try:
                    box, score = session.initialize(request), 1.0
                except Exception as err:
                    log.error("initialization failed: %s", err)
                    server.quit(f"initialization failed: {err}")
                    return 1
            else:
                box, score = session.track(request)
            x, y, w, h = (float(v) for v in box)
            server.status([(Rectangle.create(x, y, w, h), {"confidence": score})])
    except trax.TraxException as err:
        # The toolkit closed the pipe (interrupted run): nothing left to answer.
        session.log_times()
        log.info("TraX session ended: %s", err)
        return 0
    try:
        server.quit()
    except trax.TraxException:
        pass
    return 0


def main(*argv: str) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="[tracker] %(levelname)s %(message)s")
    try:
        name, cfg = parse_args(argv or sys.argv[1:])
        if cfg.log_file:
            handler = logging.FileHandler(cfg.log_file)
            handler.setFormatter(logging.Formatter("%(asctime)s pid %(process)d %(levelname)s %(message)s"))
            logging.getLogger().addHandler(handler)
        tracker = build_tracker(name, cfg)
    except (ConfigError, ValueError, OSError, RuntimeError) as err:
        print(f"tracker.vot: {err}", file=sys.stderr)
        return 2
    return serve(tracker)


if __name__ == "__main__":
    sys.exit(main())
