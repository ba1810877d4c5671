"""The embedded local stack: moto server on 127.0.0.1, provisioned, persistent, resumable.

One wrapper around moto's WSGI app does five small things:
- answers `/_brandvis/health` (workers and the CLI wait on it);
- holds requests until provisioning and the restore from disk are done;
- serialises DynamoDB requests, which makes moto's conditional updates atomic under concurrent
  HTTP threads (the fan-in counters rely on that, as they do on AWS);
- notes which services had writes, so the snapshotter only works when something changed;
- logs each S3/DynamoDB write to disk before answering it (`wal.py`), so a kill -9 loses none.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from shared.aws import Clients, make_clients
from shared.config import Config
from shared.stack.persist import DirtyFlags, Snapshotter
from shared.stack.provision import provision
from shared.stack.resume import Resumed, resume_unfinished
from shared.stack.wal import WalError, WriteAheadLog, read_body, replay

log = logging.getLogger("brandvis.stack")

HEALTH_PATH = "/_brandvis/health"
ENDPOINT_FILE = ".stack.endpoint"  # next to the data folder's lock: where the stack holding it serves
EMBEDDED = "command"  # the endpoint file's `started_by` for a stack a CLI command started for itself
INTERNAL_HEADER = "X-Brandvis-Internal"

# How long a stopping stack waits for workers stopped beside it (`make run`, Ctrl-C: honcho sends
# every process SIGTERM at once, and SIGKILL 5 s later) to record that they stopped.
WORKERS_GRACE_S = 4.0
WORKERS_NOTICE_S = 1.5  # a worker that has not begun stopping by then is not stopping with us

_DDB_READS = {"GetItem", "BatchGetItem", "Query", "Scan", "DescribeTable", "ListTables", "TransactGetItems",
              "DescribeTimeToLive", "ListTagsOfResource", "DescribeContinuousBackups", "DescribeEndpoints"}


class StackError(RuntimeError):
    """The local stack cannot start or cannot be reached; the message says what to do."""


def _service(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        return scope[3] if len(scope) > 3 else None
    cred = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
    if cred:
        scope = cred[0].split("/")
        return scope[3] if len(scope) > 3 else None
    return None


class StackApp:
    def __init__(self, app: Callable[..., Iterable[bytes]], dirty: DirtyFlags, info: dict[str, Any]) -> None:
        self.app = app
        self.dirty = dirty
        self.info = info
        self.ready = threading.Event()
        self.ddb_lock = threading.RLock()
        self.s3_lock = threading.Lock()  # S3 writes, while a log numbers them in the order applied
        self.wal: WriteAheadLog | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            body = json.dumps({**self.info, "ready": self.ready.is_set()}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if not self.ready.is_set() and "HTTP_X_BRANDVIS_INTERNAL" not in environ:
            self.ready.wait(300)
        service = _service(environ)
        if service == "dynamodb":
            op = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1]
            return self._serialised(environ, start_response, service, self.ddb_lock, op not in _DDB_READS)
        if service == "s3" and environ.get("REQUEST_METHOD") in ("PUT", "POST", "DELETE"):
            lock = self.s3_lock if self.wal is not None else contextlib.nullcontext()
            return self._serialised(environ, start_response, service, lock, True)
        result = self.app(environ, start_response)
        if service == "s3" and self.wal is not None:
            self.wal.wait_durable(self.wal.last_seq)  # what this read saw is on disk
        return result

    def _serialised(self, environ: dict[str, Any], start_response: Callable[..., Any], service: str,
                    lock: Any, writes: bool) -> Iterable[bytes]:
        """Apply the request under `lock`; a successful write is logged in the same step, and the
        reply waits until the log (with everything this request saw) is on disk."""
        wal = self.wal if "HTTP_X_BRANDVIS_INTERNAL" not in environ else None
        body = read_body(environ) if wal is not None and writes else b""
        reply: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            reply[:] = [status, headers]
            return lambda _data: None

        with lock:
            result = self.app(environ, capture)
            try:
                parts = list(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
            seq = 0
            if wal is not None:
                seq = wal.last_seq
                if writes and reply and reply[0][:1] in ("2", "3"):
                    seq = wal.append(service, environ, body, b"".join(parts) if service == "s3" else b"")
            if writes:
                self.dirty.mark(service)  # under the lock: the snapshotter relies on it
        if wal is not None and seq:
            try:
                wal.wait_durable(seq)
            except WalError as exc:
                msg = f"the local stack could not save this write: {exc}".encode()
                start_response("503 Service Unavailable", [("Content-Type", "text/plain"),
                                                           ("Content-Length", str(len(msg)))])
                return [msg]
        start_response(*reply)
        return parts


def health(endpoint: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """The stack's health document, or None when nothing answers at `endpoint`."""
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + HEALTH_PATH, timeout=timeout) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def wait_until_ready(config: Config, timeout_s: float = 60.0) -> None:
    """Block until the local stack answers and is ready (workers started beside it use this)."""
    endpoint = config.endpoint
    if not config.is_local or endpoint is None:
        return
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        state = health(endpoint)
        if state and state.get("ready"):
            return
        if time.monotonic() > deadline:
            raise StackError(f"no local stack answers at {endpoint}: start it with `brandvis stack up` "
                             "(or `make run`)")
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


class LocalStack:
    def __init__(self, config: Config, persist: bool = True, started_by: str = "stack") -> None:
        self.config = config
        self.persist = persist
        self.started_by = started_by
        self.data_dir = Path(config.data_dir)
        self.dirty = DirtyFlags()
        self.app: StackApp | None = None
        self.snapshotter: Snapshotter | None = None
        self.restored: dict[str, int] = {}
        self.resumed: Resumed | None = None
        self._server: Any = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._lock_file: Any = None

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def clients(self, max_attempts: int | None = None) -> Clients:
        return make_clients(self.config.replace(endpoint_url=self.endpoint), max_attempts)

    def start(self) -> LocalStack:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        if self.persist:
            self._lock_data_dir()
        info = {"pid": os.getpid(), "data_dir": str(self.data_dir) if self.persist else None,
                "started_at": time.time()}
        self.app = StackApp(DomainDispatcherApplication(create_backend_app), self.dirty, info)
        try:
            self._server = make_server(self.config.stack_host, self.config.stack_port, self.app, threaded=True)
        except OSError as exc:
            self._unlock_data_dir()
            raise StackError(f"cannot listen on {self.config.stack_host}:{self.config.stack_port} ({exc.strerror}); "
                             "is a stack already running? `brandvis stack status` tells, "
                             "BRANDVIS_STACK_PORT picks another port") from exc
        self._spawn(self._server.serve_forever, "stack-http")
        if self.persist:
            (self.data_dir / ENDPOINT_FILE).write_text(json.dumps({"endpoint": self.endpoint, "pid": os.getpid(),
                                                                     "started_by": self.started_by}))

        internal = self.clients()
        for client in (internal.s3, internal.sqs, internal.dynamodb, internal.events):
            client.meta.events.register("before-sign.*.*", _mark_internal)
        provision(internal)
        if self.persist:
            wal = WriteAheadLog(self.data_dir / "wal") if self.config.write_ahead_log else None
            self.snapshotter = Snapshotter(self.data_dir, self.config.region, self.app.ddb_lock, self.dirty, wal)
            self.restored = self.snapshotter.restore()
            if wal is not None:
                done = replay(wal.folder, self.app.app, self.snapshotter.table_seqs, self.snapshotter.s3_from,
                              self.snapshotter.rename_upload)
                self.restored["replayed"] = done.entries
                self.app.wal = wal.open(done.last_seq, done.open_uploads)
            self.dirty.mark("dynamodb")  # what was replayed is in memory only, until the next snapshot
            self.dirty.mark("s3")
            self._spawn(self._snapshot_loop, "stack-snapshot")
        self.app.ready.set()
        self.resumed = resume_unfinished(self.clients())
        log.info("event=stack-ready endpoint=%s data_dir=%s restored_objects=%d restored_items=%d "
                 "replayed_writes=%d resumed_jobs=%d resent_messages=%d reannounced_labeling=%d", self.endpoint,
                 info["data_dir"],
                 self.restored.get("objects", 0), self.restored.get("items", 0), self.restored.get("replayed", 0),
                 self.resumed.jobs, self.resumed.messages, self.resumed.announced)
        return self

    def stop(self, workers_grace_s: float = 0.0) -> None:
        """Save and stop. With `workers_grace_s`, first keep serving until the workers that are
        stopping too have recorded it (else their last state would be lost with the snapshot)."""
        if workers_grace_s > 0 and self.snapshotter is not None and self._server is not None:
            self._wait_for_workers(workers_grace_s)
        self._stop.set()
        if self.snapshotter is not None:
            self.snapshotter.snapshot(force=True)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for t in self._threads:
            t.join(5)
        if self.app is not None and self.app.wal is not None:
            self.app.wal.close()
        self._unlock_data_dir()

    def _wait_for_workers(self, grace_s: float) -> None:
        from shared.presence import RUNNING, STOPPING, WorkerPresence

        clients = self.clients()
        presence = WorkerPresence(clients.dynamodb, clients.names.jobs_table)
        started = time.monotonic()
        while time.monotonic() - started < grace_s:
            try:
                states = [w.state() for w in presence.list_workers()]
            except Exception:  # the table is unreadable: nothing to wait for
                return
            if STOPPING not in states and (RUNNING not in states or time.monotonic() - started > WORKERS_NOTICE_S):
                return
            time.sleep(0.05)
        log.info("event=stack-stopping workers still stopping after %.0f s: saving anyway", grace_s)

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def _snapshot_loop(self) -> None:
        assert self.snapshotter is not None
        while not self._stop.wait(self.config.snapshot_interval_s):
            try:
                self.snapshotter.snapshot()
            except Exception:  # keep serving; the next round tries again
                log.exception("event=snapshot-failed")

    def _lock_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.data_dir / ".stack.lock", "w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            self._lock_file = None
            try:
                holder = json.loads((self.data_dir / ENDPOINT_FILE).read_text())
                who = (f" (pid {holder['pid']}, a brandvis command's own: it stops when the commands using it end)"
                       if holder.get("started_by") == EMBEDDED else f" (pid {holder['pid']})")
            except (OSError, ValueError, KeyError, TypeError):
                who = ""
            raise StackError(f"another local stack is using {self.data_dir}{who}; stop it first "
                             "(or set BRANDVIS_DATA_DIR for a separate one)") from None

    def _unlock_data_dir(self) -> None:
        if self._lock_file is not None:
            (self.data_dir / ENDPOINT_FILE).unlink(missing_ok=True)
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None


def _mark_internal(request: Any, **_: Any) -> None:
    request.headers[INTERNAL_HEADER] = "1"
