"""What a test run must not skip: the comma-separated SHAM_REQUIRE (CI sets it) turns skips into failures."""
import os

import pytest

from sham_core.data.fetch import shared_mirror


def required(name):
    """True when SHAM_REQUIRE names ``name`` (e.g. torch, shared, slurm)."""
    return name in os.environ.get("SHAM_REQUIRE", "").split(",")


def skip_unless(available, name, why):
    """Skip with ``why`` when ``available`` is false, or fail instead when ``name`` is required."""
    if not available:
        if required(name):
            pytest.fail(f"SHAM_REQUIRE names {name}, but {why}")
        pytest.skip(why)


def shared_or_skip():
    """The shared datasets folder; skipped (or failed, when required) where it is absent."""
    folder = shared_mirror()
    skip_unless(folder.is_dir(), "shared", f"no shared datasets folder at {folder} (set SHAM_SHARED)")
    return folder
