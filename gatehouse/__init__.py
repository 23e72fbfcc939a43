"""Gatehouse: a privacy gateway for cross-border marketplaces."""

__version__ = "0.1.0"
