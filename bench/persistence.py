"""What a kill -9 of the local stack loses, and what the write-ahead log costs.

    python bench/persistence.py [--rounds 20] [--writers 4] [--seconds 4]

Kills: writer threads stream DynamoDB puts, UpdateItem ADD increments (one counter per thread)
and S3 puts; the stack process is killed with SIGKILL at a random moment and restarted on the
same data folder. Then every write the writers saw acknowledged is looked up, and each counter
is compared with the increments acknowledged: it must equal them, or be one more where the
increment in flight at the kill reached the log (applied, its reply lost: as on AWS, a request
that times out may or may not have happened).

Throughput: the same stream for `--seconds` against a fresh stack with the log and, at the same
time, one without (BRANDVIS_WRITE_AHEAD_LOG=0, snapshots only), so both meet the same machine load;
`--pairs` times. Printed: writes/s of each, their ratio, and how many writes shared an fsync.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from shared.aws import Clients, make_clients  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.stack.server import health  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stack(config: Config, log: Path, wal: bool = True) -> subprocess.Popen:
    env = {**os.environ, "BRANDVIS_SNAPSHOT_INTERVAL_S": str(config.snapshot_interval_s),
           "BRANDVIS_WRITE_AHEAD_LOG": "1" if wal else "0"}
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "stack", "up", "--port", str(config.stack_port),
                             "--data-dir", str(config.data_dir)], cwd=ROOT, env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    while not (health(config.endpoint or "") or {}).get("ready"):
        if proc.poll() is not None:
            raise SystemExit(f"the stack exited with {proc.returncode}; see {log}")
        time.sleep(0.05)
    return proc


@dataclass
class Writer:
    """One thread's stream: item puts, increments of its own counter, object puts."""
    clients: Clients
    prefix: str
    items: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    increments: int = 0
    in_flight_increment: bool = False

    def run(self, stop: threading.Event) -> None:
        table, bucket = self.clients.names.jobs_table, self.clients.names.bucket
        n = 0
        try:
            while not stop.is_set():
                key = f"{self.prefix}-{n:06d}"
                self.clients.dynamodb.put_item(TableName=table, Item={"pk": {"S": f"bench#{key}"}, "sk": {"S": "x"}})
                self.items.append(key)
                self.in_flight_increment = True
                self.clients.dynamodb.update_item(
                    TableName=table, Key={"pk": {"S": f"bench#{self.prefix}#counter"}, "sk": {"S": "x"}},
                    UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}})
                self.increments += 1
                self.in_flight_increment = False
                self.clients.s3.put_object(Bucket=bucket, Key=f"bench/{key}", Body=b"x" * 2048)
                self.objects.append(key)
                n += 1
        except (BotoCoreError, ClientError):
            return

    @property
    def acknowledged(self) -> int:
        return len(self.items) + self.increments + len(self.objects)


def stream(clients: Clients, run_id: str, writers: int) -> tuple[list[Writer], threading.Event, list[threading.Thread]]:
    stop = threading.Event()
    ws = [Writer(clients, f"{run_id}-{i}") for i in range(writers)]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in ws]
    for t in threads:
        t.start()
    return ws, stop, threads


def one_kill(stack: subprocess.Popen, config: Config, log: Path,
             writers: int) -> tuple[subprocess.Popen, tuple[int, int, int, int]]:
    """Kill the running stack under writes and start it again: the new stack process, and (writes
    acknowledged, acknowledged writes lost, counters not exact, increments in flight applied)."""
    clients = make_clients(config, max_attempts=1)
    run_id = f"{time.time_ns()}"
    ws, stop, threads = stream(clients, run_id, writers)
    time.sleep(random.uniform(1.0, 3.0))  # the moment of the crash is what varies
    stack.send_signal(signal.SIGKILL)
    stack.wait()
    stop.set()
    for t in threads:
        t.join()
    stack = start_stack(config, log)
    table, bucket = clients.names.jobs_table, clients.names.bucket
    found: dict[str, dict] = {}
    pages = clients.dynamodb.get_paginator("scan").paginate(
        TableName=table, FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": f"bench#{run_id}-"}})
    for page in pages:
        found.update({item["pk"]["S"]: item for item in page["Items"]})
    objects = {o["Key"] for page in clients.s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"bench/{run_id}-") for o in page.get("Contents", [])}
    lost = inexact = in_flight_applied = 0
    for w in ws:
        lost += sum(f"bench#{k}" not in found for k in w.items)
        lost += sum(f"bench/{k}" not in objects for k in w.objects)
        counter = found.get(f"bench#{w.prefix}#counter")
        value = int(counter["n"]["N"]) if counter else 0
        lost += max(0, w.increments - value)
        if value == w.increments + 1 and w.in_flight_increment:
            in_flight_applied += 1
        elif value != w.increments:
            inexact += 1
    return stack, (sum(w.acknowledged for w in ws), lost, inexact, in_flight_applied)


def throughput_pair(configs: dict[bool, Config], log: Path, writers: int, seconds: float) -> dict[bool, float]:
    """Writes/s of a stack with the log and one without, streamed at the same time (so both meet
    the same machine load), each on a fresh data folder."""
    stacks = {wal: start_stack(config, log, wal) for wal, config in configs.items()}
    runs = {wal: stream(make_clients(config, max_attempts=1), f"tp{time.time_ns()}", writers)
            for wal, config in configs.items()}
    time.sleep(seconds)
    for _, stop, _ in runs.values():
        stop.set()
    for _, _, threads in runs.values():
        for t in threads:
            t.join()
    for stack in stacks.values():
        stack.send_signal(signal.SIGTERM)
        stack.wait(60)
    return {wal: sum(w.acknowledged for w in ws) / seconds for wal, (ws, _, _) in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="kills")
    parser.add_argument("--writers", type=int, default=4, help="writer threads")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run")
    parser.add_argument("--pairs", type=int, default=3, help="throughput runs (each a pair: with / without the log)")
    parser.add_argument("--interval", type=float, default=0.2, help="snapshot interval (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "stack.log"
        config = Config(stack_port=free_port(), data_dir=Path(tmp) / "data", snapshot_interval_s=args.interval)
        print(f"kill -9 of the local stack under {args.writers} writers (item put, counter ADD, object put), "
              f"write-ahead log on, snapshot interval {args.interval * 1000:.0f} ms")
        total_lost = total_inexact = 0
        stack = start_stack(config, log)
        for r in range(args.rounds):
            stack, (acked, lost, inexact, applied) = one_kill(stack, config, log, args.writers)
            total_lost += lost
            total_inexact += inexact
            print(f"kill {r + 1:2d}: {acked:5d} writes acknowledged, {lost} lost, counters "
                  f"{'exact' if not inexact else f'{inexact} WRONG'}"
                  f"{f' ({applied} in-flight increment(s) applied, reply lost)' if applied else ''}")
        stack.send_signal(signal.SIGTERM)
        stack.wait(60)
        print(f"total: {total_lost} acknowledged writes lost in {args.rounds} kills, "
              f"{total_inexact} counters off their acknowledged increments")

        rates: dict[bool, list[float]] = {True: [], False: []}
        tp_log = Path(tmp) / "throughput.log"
        for i in range(args.pairs):
            configs = {wal: config.replace(stack_port=free_port(), data_dir=Path(tmp) / f"tp-{wal}-{i}")
                       for wal in (True, False)}
            for wal, rate in throughput_pair(configs, tp_log, args.writers, args.seconds).items():
                rates[wal].append(rate)
        ratios = [w / wo for w, wo in zip(rates[True], rates[False])]
        groups = [float(x) for x in re.findall(r"entries_per_fsync=([0-9.]+)", tp_log.read_text())]
        print(f"write throughput, {args.writers} writers per stack, a stack with the log and one without "
              f"side by side, {args.seconds:.0f} s, {args.pairs} pairs: with/without "
              f"{', '.join(f'{w:.0f}/{wo:.0f}' for w, wo in zip(rates[True], rates[False]))} writes/s; "
              f"median ratio {statistics.median(ratios):.2f} (goal >= 0.80); "
              f"writes per fsync (group commit) median {statistics.median(groups) if groups else 0:.2f}")


if __name__ == "__main__":
    main()
