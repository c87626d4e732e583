"""State machines of the finance documents: one table of allowed transitions per model, checked
in one place. A refused transition is a 409 naming the current and the requested state."""

from dataclasses import dataclass

from core.api.exceptions import Conflict, Unprocessable


@dataclass(frozen=True)
class StateMachine:
    name: str  # what the messages call the document ("refund")
    transitions: dict[str, frozenset[str]]
    # Targets only the server reaches (e.g. a contract completes when its last installment is
    # paid): a client asking for one gets the same 409, with the reason.
    server_only: dict[str, str] | None = None

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self.transitions)

    def allows(self, current: str, requested: str) -> bool:
        return requested in self.transitions.get(current, frozenset())

    def is_final(self, state: str) -> bool:
        return not self.transitions.get(state)

    def refusal(self, current: str, requested: str, *, shown: str | None = None, reason: str = "") -> Conflict:
        shown = shown or current
        allowed = sorted(self.transitions.get(current, ()))
        message = f"The {self.name} is {shown}: it cannot become {requested}"
        message += f" (from {shown}: {', '.join(allowed)})." if allowed else f" ({shown} is final)."
        if reason:
            message += f" {reason}"
        details = [{"path": "status", "message": message, "code": "invalid_transition", "current": shown,
                    "requested": requested}]  # fmt: skip
        return Conflict(message, details=details)

    def check(self, current: str, requested: str, *, shown: str | None = None, by_client: bool = False) -> None:
        """Raise the 409 unless `current → requested` is in the table (and, for a client's
        request, not one the server keeps for itself)."""
        if requested not in self.transitions:
            raise unprocessable("status", f"Expected one of: {', '.join(self.states)}.", code="invalid_choice")
        if not self.allows(current, requested):
            raise self.refusal(current, requested, shown=shown)
        if by_client and self.server_only and requested in self.server_only:
            raise self.refusal(current, requested, shown=shown, reason=self.server_only[requested])


def unprocessable(path: str, message: str, code: str = "unprocessable", **extra) -> Unprocessable:
    """A 422 naming the field at fault, in the error body's `details` too."""
    error = Unprocessable(f"{path}: {message}" if path else message)
    error.details = [{"path": path, "message": message, "code": code, **extra}]
    return error


def machine(name: str, table: dict[str, set | frozenset | tuple], **kwargs) -> StateMachine:
    return StateMachine(name, {state: frozenset(targets) for state, targets in table.items()}, **kwargs)
