"""Money as records: every euro that moves, from whom, to whom, for which cost line.

Outcomes about money (public money, deadweight in euros, leverage) and the checks that
nothing is paid twice or before it is affordable read these records, so every euro an
analyst quotes can be traced to payments. Actors:

- ``("instrument", id)``: a scheme instrument paying a grant, a prize or a scaling grant;
- ``("service", id)``: the running cost of a service (competence centre, joint process);
- ``("buyer", row)``: a buyer paying its own share from its annual budget;
- ``("background", row)``: pools and foundations that exist without the scheme, paying
  part of what the scheme leaves to a buyer;
- ``("other_funds", row)``: funds outside the scheme and the buyer's budget that repay a
  loan for the buyer (Spain's EU regional funds);
- payees ``("suppliers", project)``, ``("office", project)`` (an external project office),
  ``("staff", project)`` (a buyer's internal costs), ``("suppliers", -1)`` for purchases
  outside a project, ``("services", id)`` for services,
  ``("buyer", row)`` for a grant paid after the fact to the buyer that advanced the line,
  ``("instrument", id)`` for a loan's repayment.

``tests/test_money.py`` balances every actor to the cent against the model's own counters
(instrument ``paid``, buyers' budget draw-down) in every bundled scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .instruments import InstrumentState
    from .model import PolicyModel
    from .project import Grant


class Transfer(NamedTuple):
    """One payment (a plain tuple of atoms: the cyclic collector need not track it)."""

    month: int
    payer_kind: str
    payer: object  # instrument or service id, buyer row
    payee_kind: str
    payee: object
    amount: float
    line: str  # the cost line: a phase, office, prize, diffusion, service
    project: int  # the project it pays for (-1: none)


@dataclass
class Money:
    """All payments of one run, in order."""

    model: PolicyModel
    buyer_spent: float = 0.0
    reimbursed: float = 0.0  # grants paid after the fact back to the buyers that advanced them
    totals: dict[str, float] = field(default_factory=dict)  # payer kind -> paid so far
    # plain tuples in Transfer's field order: a run records about 10,000 payments, and a
    # named tuple's constructor costs several times a tuple's (read through ``transfers``)
    _rows: list[tuple] = field(default_factory=list)

    @property
    def transfers(self) -> list[Transfer]:
        """Every payment, in order."""
        return [Transfer._make(r) for r in self._rows]

    def _record(self, payer_kind: str, payer, payee_kind: str, payee, amount: float, line: str,
                project: int) -> None:
        """One payment, in Transfer's field order (flat arguments: it runs for every euro moved)."""
        if amount > 0:
            self._rows.append((self.model.month, payer_kind, payer, payee_kind, payee, amount,
                               line, project))
            totals = self.totals
            totals[payer_kind] = totals.get(payer_kind, 0.0) + amount

    def grant(self, st: InstrumentState, g: Grant, line: str, project: int = -1) -> float:
        """The instrument pays what grant ``g`` planned for ``line``, once."""
        amount = st.pay(g, line)
        payee = "office" if line == "office" else ("suppliers" if st.spec.paid_to == "supplier"
                                                   or line not in STAFF_LINES else "project")
        self._record("instrument", st.id, payee, project, amount, line, project)
        return amount

    def grant_part(self, st: InstrumentState, g: Grant, line: str, amount: float,
                   project: int) -> float:
        """The instrument pays part of a suppliers' line (a PCP phase, contractor by contractor)."""
        paid = st.pay_part(g, line, amount)
        self._record("instrument", st.id, "suppliers", project, paid, line, project)
        return paid

    def buyer(self, row: int, amount: float, line: str, project: int = -1) -> None:
        """The buyer pays from this year's budget (a budgeted purchase may overdraw it)."""
        if amount <= 0:
            return
        self.model.buyers.budget_left[row] -= amount
        self.buyer_spent += amount
        self._record("buyer", row, "project" if line in STAFF_LINES else "suppliers", project,
                     amount, line, project)

    def background(self, row: int, amount: float, line: str, project: int) -> None:
        """Pools and foundations pay their part of the buyer's share."""
        self._record("background", row, "project", project, amount, line, project)

    def service(self, service_id: str, amount: float) -> None:
        """A service's running cost for the month."""
        self._record("service", service_id, "services", service_id, amount, "service", -1)

    def reimburse(self, instrument: str, row: int, amount: float, line: str, project: int) -> None:
        """A grant paid after the fact reaches the buyer that pre-financed the line; it goes
        back into the buyer's budget of the month it arrives (loans.py)."""
        self.model.buyers.budget_left[row] += amount
        self.reimbursed += amount
        self._record("instrument", instrument, "buyer", row, amount, line, project)

    def repayment(self, instrument: str, row: int, amount: float, from_budget: float,
                  project: int) -> None:
        """A loan instalment back to its instrument: the buyer's part from this year's budget,
        the rest from other funds (``("other_funds", row)``: Spain's EU regional funds)."""
        own = amount * from_budget
        if own > 0:
            self.model.buyers.budget_left[row] -= own
            self.buyer_spent += own
            self._record("buyer", row, "instrument", instrument, own, "repayment", project)
        self._record("other_funds", row, "instrument", instrument, amount - own, "repayment",
                     project)

    def paid_by_actor(self, kind: str, actor) -> float:
        """Everything one actor paid, read from the records (in order, as ``transfers``)."""
        return sum(r[5] for r in self._rows if r[1] == kind and r[2] == actor)

    def paid_by(self, kind: str) -> float:
        """Everything actors of one kind paid (kept as payments are recorded)."""
        return self.totals.get(kind, 0.0)


STAFF_LINES = frozenset(("preparation", "tender", "implementation"))
