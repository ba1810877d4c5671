"""One module per stage, each exposing one handler registered with `@stage`."""

from workers.stages import (aggregate, collect, detect, extract, label, probe, sprite, start_model,  # noqa: F401
                            stop_model, train)  # importing registers the handlers
