"""A realistic demo marketplace: thousands of overseas recipients and Korean customers."""

from gatehouse.demo.marketplace import SeedReport, seed_marketplace

__all__ = ["SeedReport", "seed_marketplace"]
