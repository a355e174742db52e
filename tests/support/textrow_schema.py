"""The published JSON Schema of a text row (``schema/text-row.schema.json``), for tests that read rows back."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "text-row.schema.json"


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid_text_rows(rows: Iterable[dict[str, Any]]) -> None:
    """Raise AssertionError naming the row and the first schema violation, if any."""
    for row in rows:
        error = next(iter(_validator().iter_errors(row)), None)
        assert error is None, f"text row of {row.get('url')!r} breaks the schema: {error.message} at {list(error.path)}"
