"""`brandvis`: the entry point. User errors become one clear line on stderr, never a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.markup import escape

    from cli.app import app
    from cli.output import err
    from shared.config import ConfigError
    from shared.errors import JobError
    from shared.media.errors import MediaError
    from shared.models.backend import BackendError
    from shared.stack.server import StackError
    from shared.submit import RequestError

    try:
        app()
    except (JobError, MediaError, RequestError, StackError, ConfigError, BackendError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")  # a message may hold [brackets]
        sys.exit(2)
    except (BotoCoreError, ClientError) as exc:
        err.print(f"[red]error:[/] AWS request failed: {exc}")
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
