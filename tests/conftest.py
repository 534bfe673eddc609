"""Fixtures shared by the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from onrecord.store import schema


@pytest.fixture()
def con(store: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the test module's ``store`` fixture."""
    connection = schema.connect(store, read_only=True)
    yield connection
    connection.close()
