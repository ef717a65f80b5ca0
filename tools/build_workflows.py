"""Regenerate workflows/*.bpmn from tools/workflow_models (python -m tools.build_workflows)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = [
    "complaint_intake",
    "document_issuing",
    "major_case_supervision",
    "observation",
    "referral",
    "third_party_evaluation",
]


def main(names: list[str]) -> None:
    for name in names or MODELS:
        module = importlib.import_module(f"tools.workflow_models.{name}")
        diagram = module.build()
        path = ROOT / "workflows" / f"{diagram.process_id}.bpmn"
        path.write_text(diagram.render(), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
