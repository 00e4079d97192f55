"""Services of the contracts domain that the flow tests do not reach directly."""

from tests.factories import ContractFactory


class _Ordered(set):
    """A set that iterates in the order given, to replay an unlucky hash order."""

    def __init__(self, items):
        super().__init__(items)
        self._order = list(items)

    def __iter__(self):
        return iter(self._order)

    def __sub__(self, other):
        return _Ordered([i for i in self._order if i not in other])


def test_apply_never_flushes_a_half_applied_change(db):
    """Lowering turnover and income together, with cost lines between them in the
    loop, must not let the database see the new turnover with the old income."""
    from marketplace.contracts.services import _apply

    contract = ContractFactory(turnover_fen=1_000_000_00, tech_income_fen=1_000_000_00)
    db.session.flush()
    new = {
        "turnover_fen": 500_000_00,
        "tech_income_fen": 400_000_00,
        "cost_lines": [{"kind": "equipment", "description": "试验设备", "amount_fen": 100_000_00}],
    }
    _apply(contract, new, _Ordered(["turnover_fen", "cost_lines", "tech_income_fen"]))
    db.session.flush()
    assert (contract.turnover_fen, contract.tech_income_fen) == (500_000_00, 400_000_00)
