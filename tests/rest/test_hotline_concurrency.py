"""The same ticket pushed by several processes at once opens exactly one case.

A real server (gunicorn, several worker processes, each with its own database
connections) takes the requests; the clients are separate processes released together
by a barrier. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from db.models import HotlineTicket
from db.models import ProcessInstance
from tests.rest.live_client import post_when_released

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
TICKET = {
    "hotline_ticket_no": "GY-RACE-0001",
    "source_channel": "hotline_web",
    "request_type": "report",
    "complaint_text": "同一工单被重复推送。",
    "is_anonymous": True,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(deployed, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "SUPERVISION_DATABASE_URL": deployed.url,
        "SUPERVISION_SECRET_KEY": "live-test",
        "SUPERVISION_INSTANCE_DIR": str(tmp_path / "instance"),
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "web.wsgi:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            # Load the app once, then fork: the workers start in a fraction of the time.
            "--preload",
            "--graceful-timeout",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/api/openapi.json", timeout=10).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "server.log").read_text())
            time.sleep(0.1)
        yield base
        log.flush()
        if os.environ.get("SHOW_SERVER_LOG"):
            print((tmp_path / "server.log").read_text())
    finally:
        server.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
        server.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_the_same_ticket_from_several_processes_opens_one_case(live_server, api, deployed):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(CLIENTS)
    results = context.Queue()
    clients = [
        context.Process(
            target=post_when_released,
            args=(
                f"{live_server}/api/v1/hotline/tickets",
                api.tokens["operator"],
                TICKET,
                barrier,
                results,
            ),
        )
        for _ in range(CLIENTS)
    ]
    for process in clients:
        process.start()
    answers = [results.get(timeout=180) for _ in clients]
    for process in clients:
        process.join(timeout=30)

    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] * (CLIENTS - 1) + [201], answers
    case_ids = {case_id for _, case_id, _ in answers}
    assert len(case_ids) == 1 and None not in case_ids
    with deployed.sessions() as s:
        assert s.scalar(select(func.count(HotlineTicket.ticket_no))) == 1
        cases = s.scalars(
            select(ProcessInstance).where(ProcessInstance.business_key == "GY-RACE-0001")
        ).all()
        assert [c.id for c in cases] == list(case_ids)
        assert s.get(HotlineTicket, "GY-RACE-0001").instance_id == cases[0].id
