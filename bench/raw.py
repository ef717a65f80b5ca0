"""Run the stock-SpiffWorkflow baseline in its own process, untouched by our patches.

`supervision.engine.baseline` holds the stock operations; importing it through the
`supervision.engine` package would first apply patches.py to SpiffWorkflow, so the child
process loads that one file by path and nothing else of ours.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.common import ROOT

_DRIVER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("stock_baseline", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert "supervision.engine" not in sys.modules
print(json.dumps(module.measure(json.loads(sys.stdin.read()))))
"""


def measure(request: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    path = ROOT / "supervision" / "engine" / "baseline.py"
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(path)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the stock SpiffWorkflow baseline failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
