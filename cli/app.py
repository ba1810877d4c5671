"""The `brandvis` Typer app: one module per command group under cli/commands/, registered here.

Commands import what they need inside their bodies, so `brandvis --help` stays quick. Help is
plain click text (no rich panels): it lists choices and names values (`--fps F`) instead of
showing `<str>` placeholders.
"""

from __future__ import annotations

from typing import Any, Optional

import typer

from cli.commands import analysis, jobs, label, media, models, runtime, stack


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"brandvis {version('brandvis')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            print("brandvis (not installed)")
        raise typer.Exit()


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="brandvis: brand detection and screen-time analytics, self-hosted.")


@app.callback()
def _main(show_version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                                       help="Print the version and exit.")) -> None:
    """brandvis: brand detection and screen-time analytics, self-hosted."""


app.add_typer(stack.app, name="stack")
app.add_typer(label.app, name="label")
for module in (runtime, media, analysis, models, jobs):
    module.register(app)


def command() -> Any:
    """The click command tree `brandvis` runs. Help names values instead of typer's `<str>`,
    `<float range>`: an argument by its name, an option by its metavar (its own name in capitals
    when it has none); a closed set lists its choices."""
    from typer.core import TyperArgument, TyperOption

    root = typer.main.get_command(app)

    def tidy(cmd: Any) -> None:
        for param in cmd.params:
            if param.type_descriptor.is_choice:
                continue
            if isinstance(param, TyperArgument):
                param.display_type_rich = lambda ctx: None
            elif isinstance(param, TyperOption) and not param.is_flag and param.metavar is None:
                param.metavar = param.name.upper()
        for sub in getattr(cmd, "commands", {}).values():
            tidy(sub)

    tidy(root)
    return root
