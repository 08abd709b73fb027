from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes its files to a fresh temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
