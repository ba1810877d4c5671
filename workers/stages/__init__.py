"""One module per stage, each exposing one handler registered with `@stage`."""

from workers.stages import aggregate, detect, extract, probe, sprite, start_model, train  # noqa: F401  (registers the handlers)
