"""Rules for timers and message events."""

from __future__ import annotations

import re

from supervision.engine import juel
from supervision.engine import timers
from supervision.engine.lint.base import B
from supervision.engine.lint.base import C
from supervision.engine.lint.base import LintBase
from supervision.engine.lint.structure import local_name

_CALENDAR_DAYS = re.compile(r"P(\d+)D", re.IGNORECASE)
_CATCHING = ("intermediateCatchEvent", "boundaryEvent", "startEvent", "receiveTask")


class EventRules(LintBase):
    def on_timerEventDefinition(self, node) -> None:
        parts = [c for c in node if isinstance(c.tag, str) and c.tag.startswith(B)]
        if not parts:
            self.error(node, "the timer has no timeDate, timeDuration or timeCycle", "timer-empty")
            return
        for part in parts:
            text = (part.text or "").strip()
            kind = local_name(part)
            if not text:
                self.error(part, f"the timer's {kind} is empty", "timer-empty")
                continue
            if not juel.is_juel(text) and timers.looks_like_iso(text):
                problem = timers.literal_problem(kind, text)
                if problem:
                    self.error(part, f"{kind}: {problem}", "timer-invalid")
                    continue
            python = self.check_translation(part, "timer", text, kind)
            if python is None:
                continue
            days = _CALENDAR_DAYS.fullmatch(text)
            if kind == "timeDuration" and days:
                self.warning(
                    part,
                    f"{text} counts calendar days; for working days write "
                    f"${{workdays({days.group(1)})}}",
                    "timer-calendar-days",
                )

    def on_messageEventDefinition(self, node) -> None:
        expression = node.get(f"{C}expression")
        if not expression:
            return
        if local_name(node.getparent()) in _CATCHING:
            self.warning(
                node,
                "camunda:expression on a catching event is ignored: the message's variables "
                "are set on the case",
                "ignored-attribute",
            )
            return
        self.check_translation(node, "value", expression, "message payload (camunda:expression)")
