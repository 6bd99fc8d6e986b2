"""Experiments: transfer vs scratch (cross-validation engine) and its splits."""
