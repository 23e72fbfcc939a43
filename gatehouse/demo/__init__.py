"""A realistic demo marketplace: thousands of overseas recipients and Korean customers."""

from gatehouse.demo.history import DemoClock
from gatehouse.demo.marketplace import PolicyReport, SeedReport, seed_marketplace

__all__ = ["DemoClock", "PolicyReport", "SeedReport", "seed_marketplace"]
