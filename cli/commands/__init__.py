"""One module per group of `brandvis` commands; each has `register(app)` (stack is a sub-app)."""

from __future__ import annotations

from shared.config import Config


def config() -> Config:
    return Config.load()
