"""What a published version costs to run: state transitions and Lambda invocations on its shortest and longest
path through the compiled ASL, priced per 1,000,000 executions in standard and in express mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

# us-east-1 (US East, N. Virginia) list prices, first pricing tier, free tiers left out. Checked on 2026-11-22 against
# https://aws.amazon.com/step-functions/pricing/ — Standard: $0.0250 per 1,000 state transitions (its per-region table);
#   Express: $1.00 per 1M requests, duration $0.00001667 per GB-second in the first tier (billed in 100 ms and 64 MB
#   steps; the AWS Step Functions workshop's "$0.0000001042 per 100 ms at 64 MB" is the same price);
# https://aws.amazon.com/lambda/pricing/ — $0.20 per 1M requests, x86 duration $0.0000166667 per GB-second for the
#   first 6 billion GB-seconds a month.
# Every figure matched what was here before the check; none changed.
PRICES_RECORDED_ON = "2026-11-22"
PRICE_SOURCE = (
    "https://aws.amazon.com/step-functions/pricing/ and https://aws.amazon.com/lambda/pricing/ "
    "(us-east-1, first tier, x86, without free tiers; checked 2026-11-22)"
)
STANDARD_USD_PER_TRANSITION = 0.025 / 1_000
EXPRESS_USD_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_USD_PER_GB_SECOND = 0.00001667
LAMBDA_USD_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_USD_PER_GB_SECOND = 0.0000166667
# Assumptions where the definition can't say: express bills in 64 MB steps; durations are typical, not measured.
EXPRESS_MEMORY_GB = 64 / 1024
ASSUMED_SECONDS_PER_STATE = 0.1
ASSUMED_LAMBDA_SECONDS = 0.2
ASSUMED_LAMBDA_MEMORY_GB = 256 / 1024
ASSUMED_LOOP_ITEMS = 1
EXECUTIONS = 1_000_000
ASSUMPTIONS = (
    f"a loop runs its body {ASSUMED_LOOP_ITEMS} time(s); multiply the body's share by your item count",
    "error paths (Catch) and retries are not counted",
    "a loop back to an earlier state (an agent's turns) runs once",
    f"express duration: {ASSUMED_SECONDS_PER_STATE} s per state at 64 MB",
    f"each Lambda invocation: {ASSUMED_LAMBDA_SECONDS} s at 256 MB",
)


class PathCost(BaseModel):
    state_transitions: int
    lambda_invocations: int
    standard_usd_per_million_executions: float
    express_usd_per_million_executions: float


class CostEstimate(BaseModel):
    shortest: PathCost
    longest: PathCost
    assumptions: list[str]
    price_source: str
    prices_recorded_on: str


@dataclass(frozen=True)
class _Span:
    transitions: int
    lambdas: int

    def __add__(self, other: _Span) -> _Span:
        return _Span(self.transitions + other.transitions, self.lambdas + other.lambdas)


def _successors(state: dict[str, Any]) -> list[str]:
    following = [choice["Next"] for choice in state.get("Choices", [])]
    following += [state[key] for key in ("Next", "Default") if key in state]
    return following


def _own(state: dict[str, Any]) -> tuple[_Span, _Span]:
    """(shortest, longest) span of one state, including what runs inside it."""
    own = _Span(1, 1 if ":lambda:invoke" in str(state.get("Resource", "")) else 0)
    shortest = longest = own
    for branch in state.get("Branches", []):
        inner_short, inner_long = _scope(branch)
        shortest, longest = shortest + inner_short, longest + inner_long
    if "ItemProcessor" in state:
        inner_short, inner_long = _scope(state["ItemProcessor"])
        for _ in range(ASSUMED_LOOP_ITEMS):
            shortest, longest = shortest + inner_short, longest + inner_long
    return shortest, longest


def _scope(scope: dict[str, Any]) -> tuple[_Span, _Span]:
    states: dict[str, dict[str, Any]] = scope["States"]
    order: list[str] = []
    seen = {scope["StartAt"]}
    stack = [(scope["StartAt"], iter(_successors(states[scope["StartAt"]])))]
    while stack:  # iterative post-order: definitions can be thousands of states deep
        name, children = stack[-1]
        child = next((candidate for candidate in children if candidate not in seen), None)
        if child is None:
            order.append(name)
            stack.pop()
        else:
            seen.add(child)
            stack.append((child, iter(_successors(states[child]))))
    best: dict[str, tuple[_Span, _Span]] = {}
    for name in order:
        shortest, longest = _own(states[name])
        # A successor not yet priced is a state this one loops back to (an agent's next turn): counted once.
        after = [best[following] for following in _successors(states[name]) if following in best]
        if after:
            shortest = shortest + min((pair[0] for pair in after), key=lambda span: span.transitions)
            longest = longest + max((pair[1] for pair in after), key=lambda span: span.transitions)
        best[name] = (shortest, longest)
    return best[scope["StartAt"]]


def _priced(span: _Span) -> PathCost:
    lambda_cost = span.lambdas * (
        LAMBDA_USD_PER_REQUEST + ASSUMED_LAMBDA_SECONDS * ASSUMED_LAMBDA_MEMORY_GB * LAMBDA_USD_PER_GB_SECOND
    )
    express_duration = span.transitions * ASSUMED_SECONDS_PER_STATE * EXPRESS_MEMORY_GB * EXPRESS_USD_PER_GB_SECOND
    return PathCost(
        state_transitions=span.transitions,
        lambda_invocations=span.lambdas,
        standard_usd_per_million_executions=round(
            EXECUTIONS * (span.transitions * STANDARD_USD_PER_TRANSITION + lambda_cost), 2
        ),
        express_usd_per_million_executions=round(
            EXECUTIONS * (EXPRESS_USD_PER_REQUEST + express_duration + lambda_cost), 2
        ),
    )


def estimate_cost(definition: dict[str, Any]) -> CostEstimate:
    shortest, longest = _scope(definition)
    return CostEstimate(
        shortest=_priced(shortest),
        longest=_priced(longest),
        assumptions=list(ASSUMPTIONS),
        price_source=PRICE_SOURCE,
        prices_recorded_on=PRICES_RECORDED_ON,
    )
