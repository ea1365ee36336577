"""The schema's building blocks: the one-line `ConfigError` and `param`, a field with its range.

Every number of the schema carries its valid closed range, unit, source and meaning in the
field's metadata: `validate` checks the range, docs/MODEL.md's parameter tables print the rest
(`python -m sim.docs`), and the sensitivity study takes its bounds from it.
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any

# The source of a value that no publication gives: a modelling assumption, said so in the docs.
ASSUMPTION = "assumption"


class ConfigError(ValueError):
    """A configuration value that the model refuses, with a one-line reason."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}={value!r} is not allowed: {allowed}")


def param(
    default: Any, lo: float | None, hi: float | None, unit: str, source: str, doc: str
) -> Any:
    """A schema field with its valid closed range [lo, hi], unit, source and meaning."""
    meta = {"range": (lo, hi), "unit": unit, "source": source, "doc": doc}
    return field(default=default, metadata=meta)


def check_range(key: str, value: Any, lo: float | None, hi: float | None) -> None:
    """Refuse a value that is not a finite number in [lo, hi] (a bound of None is open).

    Raises:
        ConfigError: naming `key`, the value and the allowed range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(key, value, f"a number in [{lo}, {hi}]")
    if (
        not math.isfinite(value)
        or (lo is not None and value < lo)
        or (hi is not None and value > hi)
    ):
        raise ConfigError(key, value, f"a number in [{lo}, {hi}]")
