"""Narcowatch: read-only monitoring of darknet drug markets and messenger channels."""

__version__ = "0.1.0"
