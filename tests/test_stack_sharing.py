"""Two `brandvis` commands at once with no stack running: they share one embedded stack, and the
one that started it keeps serving until the other is done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from shared.config import Config
from shared.stack.server import ENDPOINT_FILE, LocalStack, health
from shared.stack.sharing import SESSION_LOCK, StackUsers, join, leave
from tests.conftest import ROOT, free_port, wait_for


def _holds_open(pid: int, path: Path) -> bool:
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        return any(os.path.realpath(fd) == str(path) for fd in fd_dir.iterdir())
    except OSError:
        return False


class Command:
    """A `brandvis` process whose output is collected as it comes (so a test can wait on a line)."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=lambda s=s, into=into: into.extend(s), daemon=True)
                         for s, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._readers:
            t.start()

    def said(self, text: str) -> bool:
        return any(text in line for line in self.err)

    def wait(self, timeout: float = 120) -> int:
        rc = self.proc.wait(timeout)
        for t in self._readers:
            t.join(10)
        return rc


def test_two_commands_at_once_share_one_stack_and_the_first_keeps_it_up_for_the_other(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "BRANDVIS_STACK_PORT": str(free_port()), "BRANDVIS_DATA_DIR": str(data),
           "BRANDVIS_CACHE_DIR": str(tmp_path / "cache")}
    config = Config(data_dir=data, stack_port=int(env["BRANDVIS_STACK_PORT"]))
    # Given two commands started together, both reaching for a stack that is not running
    with StackUsers(data).locked():
        both = [Command(env, "train", "--text", "AWS", "--name", "a"), Command(env, "train", "--text", "Nike", "--name", "b")]
        lock = (data / SESSION_LOCK).resolve()
        wait_for(lambda: all(_holds_open(c.pid, lock) for c in both), 60, "both commands to wait for the stack")
    # ...and a third user (this test) holding the stack once one of them has started it
    wait_for(lambda: (data / ENDPOINT_FILE).exists(), 60, "one of them to start the stack")
    joined = join(config)
    owner = next(c for c in both if c.pid == json.loads((data / ENDPOINT_FILE).read_text())["pid"])
    other = both[1] if owner is both[0] else both[0]
    try:
        assert joined.stack is None and joined.embedded
        # When the other command is done, it used the owner's stack
        assert other.wait() == 0, other.err
        assert other.said("using the embedded stack another brandvis command started")
        # Then the owner's command is done too, but its stack still serves: a quick command works on it
        wait_for(lambda: owner.said("keeping the embedded stack up for"), 60, "the owner to wait for us")
        listed = Command(env, "jobs")
        assert listed.wait() == 0, listed.err
        assert sum("train" in line for line in listed.out) == 2 and owner.proc.poll() is None
    finally:
        leave(joined)
    # ...and once the last user leaves, the owner saves, stops and gives the data folder back
    assert owner.wait(60) == 0, owner.err
    assert owner.said("started an embedded one")
    assert not (data / ENDPOINT_FILE).exists() and health(joined.config.endpoint or "") is None
    LocalStack(config)._lock_data_dir()
