"""Files that ship inside the package: the ready-made drills, the sample capacity plan and
the sample contract book.

Read through :mod:`importlib.resources`, so they are found in a wheel as in a checkout; the
working files (warehouse, reports, a fleet's own capacity.toml) live under ``FLEETCAST_HOME``.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["ready_made_drills", "sample_capacity", "sample_contracts"]


def ready_made_drills() -> Traversable:
    """The folder of ready-made drill files (``*.toml``)."""
    return files(__name__).joinpath("drills")


def sample_capacity() -> Traversable:
    """The sample capacity plan: a synthetic fleet's blocks, candidates and class policies."""
    return files(__name__).joinpath("capacity.toml")


def sample_contracts() -> Traversable:
    """The sample contract book: signed contracts and pipeline deals for the synthetic fleet."""
    return files(__name__).joinpath("contracts.toml")
