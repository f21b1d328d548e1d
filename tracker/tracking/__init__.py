"""Online tracking loop of the CMI tracker."""
from .cmi_tracker import CMITracker

__all__ = ["CMITracker"]
