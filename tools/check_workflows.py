"""Deploy workflows/*.bpmn on a scratch database with the demo organisation, print every
problem the deploy-time linter reports, and render each diagram to SVG/PNG for a look.

python -m tools.check_workflows [--png DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import db.models  # noqa: F401
from db.base import Base
from db.session import make_engine
from db.session import make_sessionmaker
from supervision import demo
from supervision import deployments
from supervision.bootstrap import build_engine
from supervision.diagram import render_svg
from supervision.errors import DeploymentError

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--png", help="write SVG and PNG renderings into this directory")
    args = parser.parse_args()
    files = sorted((ROOT / "workflows").glob("*.bpmn"))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/check.db")
        Base.metadata.create_all(engine)
        sessions = make_sessionmaker(engine)
        runtime_engine = build_engine()
        with sessions.begin() as session:
            demo.seed_demo(session)
            try:
                result = deployments.deploy(
                    session,
                    runtime_engine,
                    [(f.name, f.read_bytes()) for f in files],
                    actor="check",
                )
            except DeploymentError as exc:
                for problem in exc.problems:
                    print(problem)
                return 1
        for warning in result.warnings:
            print(warning)
        print(f"{len(result.definitions)} process(es) deployed, {len(result.warnings)} warning(s)")
        engine.dispose()
    if args.png:
        out = Path(args.png)
        out.mkdir(parents=True, exist_ok=True)
        browser = shutil.which("chromium") or "/usr/bin/chromium"
        for f in files:
            svg = out / f"{f.stem}.svg"
            svg.write_text(render_svg(f.read_bytes()), encoding="utf-8")
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    f"--screenshot={out / f'{f.stem}.png'}",
                    "--window-size=2400,1400",
                    f"file://{svg}",
                ],
                check=False,
                capture_output=True,
            )
    return 1 if result.warnings else 0


if __name__ == "__main__":
    raise SystemExit(main())
