"""The `brandvis` Typer app: one module per command group under cli/commands/, registered here.

Commands import what they need inside their bodies, so `brandvis --help` stays quick.
"""

from __future__ import annotations

import typer

from cli.commands import analysis, jobs, label, media, models, runtime, stack

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="brandvis: brand detection and screen-time analytics, self-hosted.")
app.add_typer(stack.app, name="stack")
app.add_typer(label.app, name="label")
for module in (runtime, media, analysis, models, jobs):
    module.register(app)
