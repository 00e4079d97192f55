"""Explicit state machines: a table of allowed transitions and one function
that applies a transition or raises InvalidTransition.

`transition(obj, target)` is what services call: it locks the object's row
(`core.locking.lock`: ``SELECT ... FOR UPDATE`` on PostgreSQL, the write
transaction on SQLite), re-reads the state under the lock and applies the
table of the machine that `target`'s states belong to. A service that decides
more than the state (who signed, what is still open) locks first with
`lock(obj)` and checks under the lock; `transition` then reuses that lock."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidTransition
from .locking import lock

#: Every machine, by the enum of its states (what `transition` looks up).
_MACHINES: dict[type[enum.Enum], StateMachine] = {}


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
        _MACHINES.setdefault(states, self)

    def allowed(self, src: Any, dst: Any) -> bool:
        return self.states(dst) in self.transitions.get(self.states(src), frozenset())

    def targets(self, src: Any) -> frozenset:
        return self.transitions.get(self.states(src), frozenset())

    def apply(self, obj: Any, dst: Any) -> tuple[enum.Enum, enum.Enum]:
        """Move `obj` to `dst`; return (from, to). Raise InvalidTransition when not allowed.

        Applies the table to the state `obj` holds: call it under a lock (see
        `transition`), or on an object nobody else can see yet."""
        src = self.states(getattr(obj, self.attribute))
        target = self.states(dst)
        if not self.allowed(src, target):
            raise InvalidTransition()
        setattr(obj, self.attribute, target.value)
        return src, target

    def transition(self, obj: Any, dst: Any, *, message: Any = None, code: str | None = None):
        """Lock `obj`'s row, re-read its state and apply the table; return (from, to).

        A refused transition raises InvalidTransition (with `message` and `code`
        when given)."""
        lock(obj)
        try:
            return self.apply(obj, dst)
        except InvalidTransition:
            if message is None and code is None:
                raise
            raise InvalidTransition(message, code=code) from None


def machine_for(target: enum.Enum) -> StateMachine:
    """The state machine whose states `target` is one of."""
    try:
        return _MACHINES[type(target)]
    except KeyError:
        raise LookupError(f"no state machine for {type(target).__name__}") from None


def transition(
    obj: Any,
    target: enum.Enum,
    *,
    machine: StateMachine | None = None,
    message: Any = None,
    code: str | None = None,
) -> tuple[enum.Enum, enum.Enum]:
    """Lock `obj`'s row, re-read its state and move it to `target` by the table of
    `target`'s machine (or `machine`); return (from, to) or raise InvalidTransition."""
    return (machine or machine_for(target)).transition(obj, target, message=message, code=code)
