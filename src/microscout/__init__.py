"""microscout: find, vet, price, plan and track micro-influencer campaigns."""

from __future__ import annotations

from microscout.config import Settings
from microscout.errors import MicroscoutError
from microscout.store import Store, connect

__version__ = "0.1.0"
__all__ = ["MicroscoutError", "Settings", "Store", "__version__", "connect"]
