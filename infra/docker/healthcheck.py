#!/opt/brandvis/bin/python
"""Container health for either process the image runs (Dockerfile HEALTHCHECK, ECS healthCheck).

The dashboard is healthy when Streamlit answers its health URL; a worker has no port, and is
healthy while its main process is alive and not a zombie (it exits on fatal errors, and ECS
restarts the task)."""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def main() -> int:
    cmdline = Path("/proc/1/cmdline").read_bytes().split(b"\0")
    if b"dashboard" in cmdline or any(b"streamlit" in part for part in cmdline):
        port = os.environ.get("BRANDVIS_DASHBOARD_PORT", "8501")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=4) as resp:
                return 0 if resp.status == 200 else 1
        except OSError:
            return 1
    state = Path("/proc/1/stat").read_text().rsplit(")", 1)[1].split()[0]
    return 0 if state != "Z" else 1


if __name__ == "__main__":
    sys.exit(main())
