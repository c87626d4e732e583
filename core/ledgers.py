"""Ledger checkers: every ledger whose projection is derived from append-only entries registers a
checker here, and `manage.py check_ledgers` runs them all (the stock ledger today; the client
ledger joins the same way).

A checker is `func(*, tenant: Tenant | None, fix: bool) -> Iterable[Difference]`: it recomputes
each projection row from its entries (one tenant, or every tenant when `tenant` is None) and
yields one `Difference` per stored value that disagrees; with `fix=True` it also rewrites the
projection with the recomputed value (under the same row locks the ledger's writers take) and
still yields what it fixed.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    ledger: str
    tenant: str  # the tenant's namespace
    row: str  # what the projection row is (e.g. "warehouse <id> variant <id>")
    field: str
    stored: object
    expected: object

    def __str__(self) -> str:
        return f"[{self.ledger}] {self.tenant}: {self.row}: {self.field} is {self.stored}, entries say {self.expected}"


Checker = Callable[..., Iterable[Difference]]

_CHECKERS: dict[str, Checker] = {}


def register_ledger_checker(name: str, func: Checker) -> Checker:
    """Register (or replace) the checker of ledger `name`; returns `func` (usable as a decorator's body)."""
    _CHECKERS[name] = func
    return func


def ledger_checkers() -> dict[str, Checker]:
    return dict(_CHECKERS)


def check_ledgers(*, tenant=None, fix: bool = False, names: Iterable[str] | None = None) -> Iterable[Difference]:
    """The differences of every registered ledger (or of `names`), fixed along the way with `fix`."""
    wanted = list(names) if names else sorted(_CHECKERS)
    unknown = [name for name in wanted if name not in _CHECKERS]
    if unknown:
        raise KeyError(f"Unknown ledger(s): {', '.join(unknown)}. Known: {', '.join(sorted(_CHECKERS))}.")
    for name in wanted:
        yield from _CHECKERS[name](tenant=tenant, fix=fix)
