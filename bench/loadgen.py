"""The load generator: a separate process (`python -m bench.loadgen`) that drives the REST
API with N concurrent clients, each a thread with its own keep-alive connection and its own
API token, and reports every operation's latency.

Input (JSON on stdin): {"base": url, "mode": "start" | "complete", "clients": n,
"tokens": [...], "usernames": [...], "key": process key, "variables": {...},
"seconds": wall-clock limit, "tasks": [[task ids of client 0], ...]}.
Output (JSON on stdout): {"ok", "errors", "elapsed", "latencies" (ms), "first_error"}.

"start" posts /process-definition/key/{key}/start in a loop until `seconds` pass;
"complete" claims and completes each task of the client's own list (one operation = the
claim and the completion), so clients never fight over a task. Loops are bounded by the
list or the time limit and only ever address the server given (127.0.0.1).
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


class _Client:
    def __init__(self, base: str, token: str) -> None:
        parts = urlsplit(base)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the load generator only drives a server on this machine")
        self.host, self.port = parts.hostname, parts.port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        for attempt in range(2):
            try:
                self.conn.request("POST", f"/engine-rest{path}", payload, self.headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                # A keep-alive connection the server closed: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _run_client(job: dict, index: int, out: dict, lock: threading.Lock, deadline: float):
    client = _Client(job["base"], job["tokens"][index])
    latencies, errors, first_error = [], 0, None

    def failed(status: int, body: bytes) -> None:
        nonlocal errors, first_error
        errors += 1
        if first_error is None:
            first_error = f"{status}: {body[:300].decode('utf-8', 'replace')}"

    if job["mode"] == "start":
        path = f"/process-definition/key/{job['key']}/start"
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            status, body = client.post(path, {"variables": job["variables"]})
            if status == 200:
                latencies.append((time.perf_counter() - t0) * 1000)
            else:
                failed(status, body)
    else:
        username = job["usernames"][index]
        for task_id in job["tasks"][index]:
            if time.monotonic() >= deadline:
                break
            t0 = time.perf_counter()
            status, body = client.post(f"/task/{task_id}/claim", {"userId": username})
            if status != 204:
                failed(status, body)
                continue
            status, body = client.post(f"/task/{task_id}/complete", {"variables": job["variables"]})
            if status in (200, 204):
                latencies.append((time.perf_counter() - t0) * 1000)
            else:
                failed(status, body)
    client.conn.close()
    with lock:
        out["latencies"].extend(latencies)
        out["errors"] += errors
        out["first_error"] = out["first_error"] or first_error


def run(job: dict) -> dict:
    out = {"latencies": [], "errors": 0, "first_error": None}
    lock = threading.Lock()
    t0 = time.monotonic()
    deadline = t0 + float(job["seconds"])
    threads = [
        threading.Thread(target=_run_client, args=(job, i, out, lock, deadline), daemon=True)
        for i in range(int(job["clients"]))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["elapsed"] = time.monotonic() - t0
    out["ok"] = len(out["latencies"])
    return out


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.stdin.read()))))
