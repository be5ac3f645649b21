"""Paths of the public test vectors (``shared/vectors`` beside the repository, see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# tests → credentials → creditbank → the repository; shared/ lies beside the repository.
VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "vectors"
needs_vectors = pytest.mark.skipif(not VECTORS.is_dir(), reason="shared/vectors is not beside the repository")


def load(relative: str) -> Any:
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


def text(relative: str) -> str:
    return (VECTORS / relative).read_text(encoding="utf-8")
