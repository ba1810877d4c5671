"""`brandvis worker` with a pause point inside extract, for tests that act on a worker process
while a message is certainly in flight (no timing guesses).

`python -m tests.paused_worker worker …` runs the real command. Once extract has saved
PAUSE_AFTER_FRAMES frames, it creates PAUSED_FILE and every further frame save waits until
RELEASE_FILE exists (never, if unset): the message can neither finish nor fail until the test
says so, or kills the process.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any


def install() -> None:
    from shared.storage import Storage

    paused, release = Path(os.environ["PAUSED_FILE"]), os.environ.get("RELEASE_FILE")
    after = int(os.environ.get("PAUSE_AFTER_FRAMES", "1"))
    original = Storage.put_bytes
    saved = [0]
    lock = threading.Lock()

    def put_bytes(self: Storage, key: str, *args: Any, **kwargs: Any) -> Any:
        result = original(self, key, *args, **kwargs)
        if "/frames/" in key:
            with lock:
                saved[0] += 1
                if saved[0] >= after:
                    paused.touch()
            while saved[0] >= after and not (release and Path(release).exists()):
                time.sleep(0.02)  # waits on the test's file, not on a guess of how long extract takes
        return result

    Storage.put_bytes = put_bytes  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    from cli.main import main

    sys.argv = ["brandvis", *sys.argv[1:]]
    main()
