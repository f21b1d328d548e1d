"""Online tracking loop of the CMI tracker: search region, online classifier, box refiner, composed by CMITracker."""
from .cmi_tracker import CMITracker

__all__ = ["CMITracker"]
