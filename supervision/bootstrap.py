"""Build the engine and database access the same way for the CLI, the worker and the web."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from db.session import make_engine
from db.session import make_sessionmaker
from supervision.engine import WorkflowEngine
from supervision.handlers import all_handlers


def build_engine() -> WorkflowEngine:
    return WorkflowEngine(handlers=all_handlers())


@dataclass
class Runtime:
    db: Engine
    sessions: sessionmaker[Session]
    engine: WorkflowEngine


def build_runtime(database_url: str | None = None, **engine_kwargs) -> Runtime:
    db = make_engine(database_url, **engine_kwargs)
    return Runtime(db=db, sessions=make_sessionmaker(db), engine=build_engine())
