"""What a kill -9 of the local stack loses: acknowledged writes that are gone after a restart.

    python bench/persistence.py [--rounds 5] [--interval 0.2]

A client writes DynamoDB items and S3 objects as fast as it can; the stack process is killed
with SIGKILL at a random moment and restarted on the same data folder. Every write the client
saw acknowledged is then looked up. Printed per round: writes acknowledged, writes lost, and the
window they span (how long before the kill the oldest lost write was acknowledged).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from shared.aws import make_clients  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.stack.server import health  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stack(config: Config, interval: float, log: Path) -> subprocess.Popen:
    env = {**os.environ, "BRANDVIS_SNAPSHOT_INTERVAL_S": str(interval)}
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "stack", "up", "--port", str(config.stack_port),
                             "--data-dir", str(config.data_dir)], cwd=ROOT, env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    while not (health(config.endpoint or "") or {}).get("ready"):
        time.sleep(0.05)
    return proc


def one_round(config: Config, interval: float, log: Path) -> tuple[int, int, float]:
    stack = start_stack(config, interval, log)
    clients = make_clients(config, max_attempts=1)
    table, bucket = clients.names.jobs_table, clients.names.bucket
    acked: list[tuple[str, float]] = []
    stop = threading.Event()
    run_id = f"{time.time():.0f}"

    def write() -> None:
        n = 0
        while not stop.is_set():
            key = f"{run_id}-{n:06d}"
            try:
                clients.dynamodb.put_item(TableName=table, Item={"pk": {"S": f"bench#{key}"}, "sk": {"S": "x"}})
                clients.s3.put_object(Bucket=bucket, Key=f"bench/{key}", Body=b"x" * 2048)
            except (BotoCoreError, ClientError):
                return
            acked.append((key, time.monotonic()))
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(random.uniform(1.0, 3.0))  # the moment of the crash is what varies
    killed_at = time.monotonic()
    stack.send_signal(signal.SIGKILL)
    stack.wait()
    stop.set()
    writer.join()
    stack = start_stack(config, interval, log)
    lost = []
    for key, at in acked:
        item = clients.dynamodb.get_item(TableName=table, Key={"pk": {"S": f"bench#{key}"}, "sk": {"S": "x"}})
        try:
            clients.s3.head_object(Bucket=bucket, Key=f"bench/{key}")
            has_object = True
        except ClientError:
            has_object = False
        if "Item" not in item or not has_object:
            lost.append(at)
    stack.send_signal(signal.SIGTERM)
    stack.wait(30)
    window = (killed_at - min(lost)) if lost else 0.0
    return len(acked), len(lost), window


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.2, help="snapshot interval (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(stack_port=free_port(), data_dir=Path(tmp) / "data")
        print(f"kill -9 of the local stack, snapshot interval {args.interval * 1000:.0f} ms")
        worst = 0.0
        for r in range(args.rounds):
            acked, lost, window = one_round(config, args.interval, Path(tmp) / "stack.log")
            worst = max(worst, window)
            print(f"round {r + 1}: {acked:5d} writes acknowledged, {lost:3d} lost, "
                  f"lost writes acknowledged within {window * 1000:4.0f} ms before the kill")
        print(f"worst window: {worst * 1000:.0f} ms (jobs recover: the resume sweep re-sends unfinished work)")


if __name__ == "__main__":
    main()
