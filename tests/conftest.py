"""Shared test fixtures. Shape sets and tolerances that one module needs live in that
module, next to the tests that use them."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A generator seeded the same way in every test, so failures reproduce."""
    return np.random.default_rng(20240607)
