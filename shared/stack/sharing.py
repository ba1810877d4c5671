"""Several commands, one embedded stack: the first starts it, the others use it, the last one out stops it.

Two `brandvis` commands run at once with no stack running (two terminals, a script) must not
fight over the data folder. Three files next to the data folder's lock settle it:
- `.stack.session.lock`: held briefly to join or to leave (and by the first command while its
  stack starts, so the others wait for it rather than start a second one);
- `.stack.endpoint`: where the stack that holds the data folder serves (`server.py` writes it);
- `.stack.users/<pid>`: one lease per command using that stack.
A command that finds a live stack in the endpoint file takes a lease and uses it; one that finds
none starts the stack and owns it. When its own command is done, the owner keeps serving until
every other lease is gone (a lease whose process died counts for nothing), then saves and stops.
Each command runs its own in-process workers when it waits for a job, so the owner's workers
stopping at the end of its command leaves the others' work going.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from shared.config import Config
from shared.stack.server import EMBEDDED, ENDPOINT_FILE, LocalStack, StackError, health

SESSION_LOCK = ".stack.session.lock"
USERS_DIR = ".stack.users"
JOIN_TIMEOUT_S = 120.0  # how long a command waits for a stack another process is starting


@dataclass
class Joined:
    config: Config  # with the endpoint of the stack to use
    stack: LocalStack | None  # this process started it (and stops it)
    embedded: bool  # a command's stack, with no workers beside it (not `brandvis stack up`)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _serving(data_dir: Path) -> dict[str, str] | None:
    """The endpoint file of the stack serving `data_dir`, if one answers there."""
    try:
        doc = json.loads((data_dir / ENDPOINT_FILE).read_text())
        endpoint = doc["endpoint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return doc if health(endpoint) is not None else None


class StackUsers:
    """The leases on one data folder's embedded stack."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.folder = data_dir / USERS_DIR

    @contextlib.contextmanager
    def locked(self, timeout_s: float = JOIN_TIMEOUT_S) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / SESSION_LOCK, "w") as f:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StackError(f"another brandvis command has been starting or stopping the local "
                                         f"stack in {self.data_dir} for {timeout_s:.0f} s; is it stuck?") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def add(self, pid: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / str(pid)).write_text(str(pid))

    def remove(self, pid: int) -> None:
        (self.folder / str(pid)).unlink(missing_ok=True)

    def others(self, pid: int) -> list[int]:
        """Live commands other than `pid` holding a lease (leases of dead processes are cleared)."""
        live = []
        for path in self.folder.glob("*") if self.folder.exists() else []:
            if not path.name.isdigit() or int(path.name) == pid:
                continue
            if _alive(int(path.name)):
                live.append(int(path.name))
            else:
                path.unlink(missing_ok=True)
        return sorted(live)


def join(config: Config) -> Joined:
    """Use the stack serving the configured data folder, or start it; either way hold a lease."""
    users = StackUsers(Path(config.data_dir))
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    if config.endpoint_url and health(config.endpoint_url) is not None:  # told which stack to use
        return Joined(config, None, False)
    while True:
        with users.locked():
            serving = _serving(users.data_dir)
            if serving is not None:
                users.add(os.getpid())
                return Joined(config.replace(endpoint_url=serving["endpoint"]), None,
                              serving.get("started_by") == EMBEDDED)
            if health(config.endpoint or "") is not None:  # a stack on the port with another data folder
                return Joined(config, None, False)
            try:
                stack = LocalStack(config, started_by=EMBEDDED).start()
            except StackError as exc:
                # The folder is held by a stack started outside these leases (`brandvis stack up`
                # still starting): wait for it to say where it serves.
                if "another local stack is using" not in str(exc) or time.monotonic() > deadline:
                    raise
            else:
                users.add(os.getpid())
                return Joined(config.replace(endpoint_url=stack.endpoint), stack, True)
        time.sleep(0.2)


def leave(joined: Joined, waiting: Callable[[list[int]], None] | None = None) -> None:
    """Give the lease back; the owner then serves on until no other command uses its stack."""
    users = StackUsers(Path(joined.config.data_dir))
    pid = os.getpid()
    if joined.stack is None:
        users.remove(pid)
        return
    told = False
    try:
        while True:
            with users.locked():
                others = users.others(pid)
                if not others:
                    users.remove(pid)
                    joined.stack.stop()  # under the lock: a command arriving now starts a new stack after
                    return
            if waiting is not None and not told:
                waiting(others)
                told = True
            time.sleep(0.2)
    except KeyboardInterrupt:  # the user will not wait for the others: save and stop anyway
        users.remove(pid)
        joined.stack.stop()
        raise
