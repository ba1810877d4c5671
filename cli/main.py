"""`brandvis`: the entry point. User errors become one clear line on stderr, never a traceback.

Nothing heavy is imported before a command runs (boto3, PyAV, numpy, pydantic, rich): `--help`
and `--version` answer at once, and the error types are looked up only when something failed.
"""

from __future__ import annotations

import sys

# (module, class) of the errors a user causes; each is printed as one line, exit code 2.
USER_ERRORS = [("shared.errors", "JobError"), ("shared.media.errors", "MediaError"), ("shared.submit", "RequestError"),
               ("shared.stack.server", "StackError"), ("shared.config", "ConfigError"),
               ("shared.models.backend", "BackendError"), ("shared.report.campaign", "CampaignError")]
AWS_ERRORS = [("botocore.exceptions", "BotoCoreError"), ("botocore.exceptions", "ClientError")]


def _is(exc: BaseException, kinds: list[tuple[str, str]]) -> bool:
    """A class not imported yet cannot be what was raised, so only loaded modules are looked at."""
    return any(isinstance(exc, getattr(sys.modules[m], name)) for m, name in kinds if m in sys.modules)


def main() -> None:
    from cli.app import command

    try:
        command()()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if _is(exc, USER_ERRORS):
            from rich.markup import escape

            from cli.output import err

            err.print(f"[red]error:[/] {escape(str(exc))}")  # a message may hold [brackets]
            sys.exit(2)
        if _is(exc, AWS_ERRORS):
            from rich.markup import escape

            from cli.output import err

            err.print(f"[red]error:[/] AWS request failed: {escape(str(exc))}")
            sys.exit(3)
        raise


if __name__ == "__main__":
    main()
