"""Loyalist synthetic data generator: an omnichannel retailer with planted ground truth.

The only public entry point is :func:`generate`; the output layout and every table's
columns are specified in ``docs/demo-data.md``.
"""

from __future__ import annotations

from .common import GENERATOR_VERSION
from .runner import generate
from .schemas import RAW_SCHEMAS, TRUTH_SCHEMAS

__all__ = ["generate", "GENERATOR_VERSION", "RAW_SCHEMAS", "TRUTH_SCHEMAS"]
__version__ = GENERATOR_VERSION
