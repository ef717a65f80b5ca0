"""Run in separate client processes by the concurrency tests (importable for 'spawn')."""

from __future__ import annotations


def post_when_released(url: str, token: str, body: dict, barrier, results) -> None:
    """Wait until every client is ready, then POST at once; report status and case id."""
    import requests

    barrier.wait(timeout=60)
    try:
        response = requests.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )
        payload = response.json()
        results.put((response.status_code, payload.get("case_id"), payload.get("message")))
    except Exception as exc:  # reported to the test, which fails with it
        results.put((0, None, repr(exc)))
