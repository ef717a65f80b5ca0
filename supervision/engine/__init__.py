"""The SpiffWorkflow layer: the only package that imports SpiffWorkflow.

Callers use WorkflowEngine and the frozen views; no Spiff object leaves this package.
"""

from supervision.engine.runtime import HandlerContext
from supervision.engine.runtime import WorkflowEngine
from supervision.engine.views import ActivityState
from supervision.engine.views import MessageEvent
from supervision.engine.views import OperationResult

__all__ = ["ActivityState", "HandlerContext", "MessageEvent", "OperationResult", "WorkflowEngine"]
