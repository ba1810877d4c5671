"""One module per stage, each exposing one handler registered with `@stage`."""

from workers.stages import (aggregate, collect, detect, extract, probe, sprite, start_model, stop_model,  # noqa: F401
                            train)  # importing registers the handlers
