"""One module per stage, each exposing one handler registered with `@stage`."""

from workers.stages import extract, probe, sprite, train  # noqa: F401  (registers the handlers)
