"""The `supervision` console script: the domain commands plus `serve` (this is the
composition root, so the command that starts the web server lives on the web side)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import click

from supervision.cli import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes")
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--with-worker", is_flag=True, help="Also run one timer/outbox worker process.")
def serve(host: str, port: int, workers: int, threads: int, with_worker: bool) -> None:
    """Serve the web app and the REST API with gunicorn (production WSGI server)."""
    worker_process = None
    if with_worker:
        worker_process = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"])
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "web.wsgi:app",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]
    click.echo(f"serving on http://{host}:{port}/ (Ctrl+C to stop)")
    server = subprocess.Popen(command)
    # A service manager stops us with SIGTERM: shut the children down as for Ctrl+C,
    # instead of dying at once and leaving gunicorn and the worker running unowned.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.wait()
    except KeyboardInterrupt:
        server.send_signal(signal.SIGTERM)
        server.wait()
    finally:
        if worker_process is not None:
            worker_process.terminate()
            worker_process.wait()


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def main() -> None:  # pragma: no cover
    cli(prog_name="supervision")


if __name__ == "__main__":  # pragma: no cover
    main()
