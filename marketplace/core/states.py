"""Explicit state machines: a table of allowed transitions and one function
that applies a transition or raises InvalidTransition."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidTransition


class StateMachine:
    """Allowed transitions between the members of one `enum.Enum` of states."""

    def __init__(
        self, states: type[enum.Enum], transitions: Mapping[Any, Iterable[Any]], *, attribute: str = "status"
    ) -> None:
        self.states = states
        self.attribute = attribute
        self.transitions = {
            states(src): frozenset(states(dst) for dst in dsts) for src, dsts in transitions.items()
        }

    def allowed(self, src: Any, dst: Any) -> bool:
        return self.states(dst) in self.transitions.get(self.states(src), frozenset())

    def targets(self, src: Any) -> frozenset:
        return self.transitions.get(self.states(src), frozenset())

    def apply(self, obj: Any, dst: Any) -> tuple[enum.Enum, enum.Enum]:
        """Move `obj` to `dst`; return (from, to). Raise InvalidTransition when not allowed."""
        src = self.states(getattr(obj, self.attribute))
        target = self.states(dst)
        if not self.allowed(src, target):
            raise InvalidTransition()
        setattr(obj, self.attribute, target.value)
        return src, target
