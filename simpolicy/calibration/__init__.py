"""Calibration: observed patterns (targets.yaml), checking them, and fitting the behaviour."""
