"""One module per group of `brandvis` commands; each has `register(app)` (stack is a sub-app)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.config import Config


def config() -> Config:
    from shared.config import Config

    return Config.load()
