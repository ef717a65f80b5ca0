"""Imports flow one way (db <- supervision <- web); only supervision/engine imports Spiff."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "db": {
        "supervision",
        "web",
        "flask",
        "flask_login",
        "flask_wtf",
        "flask_babel",
        "SpiffWorkflow",
    },
    "supervision": {"web", "flask", "flask_login", "flask_wtf", "flask_babel"},
    "web": {"SpiffWorkflow"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [
        n.module
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module
    ]
    return {name.split(".")[0] for name in names}


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downward(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in python_files(package)
        if imported_roots(path) & FORBIDDEN[package]
    }
    assert offenders == {}


def test_spiffworkflow_only_in_the_engine_package():
    engine = ROOT / "supervision" / "engine"
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("db", "supervision", "web", "bench")
        for path in python_files(package)
        if "SpiffWorkflow" in imported_roots(path) and engine not in path.parents
    ]
    assert offenders == []


def test_the_checker_sees_a_violation(tmp_path):
    sample = tmp_path / "bad.py"
    sample.write_text("from flask import Flask\nimport SpiffWorkflow.bpmn\n")
    assert imported_roots(sample) == {"flask", "SpiffWorkflow"}
