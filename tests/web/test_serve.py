"""`supervision serve`: gunicorn serves the pages, and a SIGTERM stops everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import db.models  # noqa: F401
from db.base import Base
from db.session import make_engine

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    """Every process below `pid` (from /proc, so no extra tool is needed)."""
    found: set[int] = set()
    parents = {pid}
    for _ in range(5):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in parents and int(entry.name) not in found:
                found.add(int(entry.name))
        parents = found | {pid}
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_serve_answers_and_stops_its_children_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "SUPERVISION_DATABASE_URL": url,
        "SUPERVISION_INSTANCE_DIR": str(tmp_path),
        "SUPERVISION_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
    }
    command = [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--workers", "1"]
    command.append("--with-worker")
    children: set[int] = set()
    parent = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "用户名" in body, "gunicorn did not serve the login page"
        children = _children(parent.pid)
        assert len(children) >= 3  # gunicorn's arbiter, its worker, the timer worker

        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in children):
            time.sleep(0.2)
        assert [p for p in children if _alive(p)] == []
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in children:  # a failed run must not leave servers behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
