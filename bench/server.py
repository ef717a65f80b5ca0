"""Real processes for the end-to-end benchmarks: a gunicorn server and worker processes on a
throw-away database, with their peak memory read from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.common import ROOT
from supervision import identity


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(database_url: str, instance_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SUPERVISION_DATABASE_URL=database_url,
        SUPERVISION_INSTANCE_DIR=instance_dir,
        SUPERVISION_SECRET_KEY="bench-secret-key-not-for-production",
        PYTHONPATH=str(ROOT),
    )
    return env


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM: the most resident memory the process ever had."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Server:
    """gunicorn serving web.wsgi:app; `url` is its base address."""

    def __init__(self, process: subprocess.Popen, url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def peak_rss_mib(self) -> float:
        return max((peak_rss_mib(pid) or 0.0) for pid in self.worker_pids())


@contextlib.contextmanager
def gunicorn(database_url: str, *, workers: int, threads: int) -> Iterator[Server]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "web.wsgi:app",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--log-level",
                    "warning",
                    "--timeout",
                    "120",
                ],
                cwd=str(ROOT),
                env=environment(database_url, tmp),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(process, f"http://127.0.0.1:{port}", log)
        try:
            _wait_until_up(server, workers)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(server: Server, workers: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{server.url}/engine-rest/version", timeout=2).close()
            answered = True
        except urllib.error.HTTPError:
            answered = True  # 401 without a token: the app is up all the same
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            answered = False
        if answered and len(server.worker_pids()) >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not come up:\n{server.log.read_text()[-3000:]}")


def tokens(rt, usernames: list[str]) -> list[str]:
    """One API token per entry (a user may appear several times)."""
    out = []
    with rt.sessions.begin() as session:
        for n, name in enumerate(usernames):
            user = identity.require_user(session, name)
            _, clear = identity.create_token(session, user, f"bench-{n}", actor="admin")
            out.append(clear)
    return out
