"""What a published version costs to run: state transitions and Lambda invocations on its shortest and longest
path through the compiled ASL, priced per 1,000,000 executions in standard and in express mode; and its agent nodes'
model tokens at an assumed count per execution (the caller's, or the defaults below), priced per 1,000,000
executions from the model price table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

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


# Amazon Bedrock on-demand list prices, USD per 1,000,000 tokens (input, output), us-east-1, standard tier, from
# https://aws.amazon.com/bedrock/pricing/ . Recorded on 2026-12-05 from the prices last published there, without
# network access to re-check them that day: check the page before quoting a figure.
# The local models of `forge dev` (local.*) run on the machine and cost nothing.
MODEL_PRICES_RECORDED_ON = "2026-12-05"
MODEL_PRICE_SOURCE = (
    "https://aws.amazon.com/bedrock/pricing/ (on-demand, us-east-1, standard tier; recorded 2026-12-05)"
)
BEDROCK_USD_PER_MILLION_TOKENS: dict[str, tuple[float, float]] = {
    "anthropic.claude-3-haiku-20240307-v1:0": (0.25, 1.25),
    "anthropic.claude-3-5-haiku-20241022-v1:0": (0.80, 4.00),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": (3.00, 15.00),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": (3.00, 15.00),
    "amazon.nova-micro-v1:0": (0.035, 0.14),
    "amazon.nova-lite-v1:0": (0.06, 0.24),
    "amazon.nova-pro-v1:0": (0.80, 3.20),
    "meta.llama3-1-8b-instruct-v1:0": (0.22, 0.22),
    "meta.llama3-1-70b-instruct-v1:0": (0.72, 0.72),
    "mistral.mistral-7b-instruct-v0:2": (0.15, 0.20),
}
LOCAL_MODEL_PREFIX = "local."
# Tokens one agent node spends in one execution, all its turns together, when the caller doesn't say.
ASSUMED_INPUT_TOKENS = 2_000
ASSUMED_OUTPUT_TOKENS = 500
MAX_ASSUMED_TOKENS = 100_000_000


class AssumedTokens(BaseModel):
    input_tokens: int = Field(default=ASSUMED_INPUT_TOKENS, ge=0, le=MAX_ASSUMED_TOKENS)
    output_tokens: int = Field(default=ASSUMED_OUTPUT_TOKENS, ge=0, le=MAX_ASSUMED_TOKENS)


class ModelCost(BaseModel):
    node_id: str
    provider: str
    model_id: str
    input_tokens: int = Field(description="Assumed per execution, all turns together")
    output_tokens: int = Field(description="Assumed per execution, all turns together")
    usd_per_million_executions: float | None = Field(
        description="None when the price table has no price for the model (another provider's, or a SageMaker endpoint)"
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
    models: list[ModelCost] = Field(default_factory=list, description="Each agent node's model tokens")
    model_usd_per_million_executions: float = Field(
        default=0.0, description="The agent nodes' models together (those with a price), on top of either path"
    )
    model_price_source: str = MODEL_PRICE_SOURCE
    model_prices_recorded_on: str = MODEL_PRICES_RECORDED_ON


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
        # A successor not yet priced is a loop back (the agent's turns): a loop is priced as one pass.
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


def _model_cost(node: dict[str, Any], tokens: AssumedTokens) -> ModelCost:
    model = node.get("params", {}).get("model") or {}
    provider, model_id = str(model.get("provider", "bedrock")), str(model.get("model_id", ""))
    if model_id.startswith(LOCAL_MODEL_PREFIX):
        price: tuple[float, float] | None = (0.0, 0.0)
    else:
        price = BEDROCK_USD_PER_MILLION_TOKENS.get(model_id) if provider == "bedrock" else None
    usd = None
    if price is not None:
        # Per 1M executions, each spending `tokens`: tokens x USD per 1M tokens.
        usd = round(tokens.input_tokens * price[0] + tokens.output_tokens * price[1], 2)
    return ModelCost(
        node_id=str(node.get("id")),
        provider=provider,
        model_id=model_id,
        input_tokens=tokens.input_tokens,
        output_tokens=tokens.output_tokens,
        usd_per_million_executions=usd,
    )


def with_model_costs(estimate: CostEstimate, document: dict[str, Any], tokens: AssumedTokens) -> CostEstimate:
    """The estimate with the document's agent nodes' model costs at `tokens` per node and execution."""
    models = [_model_cost(node, tokens) for node in document.get("nodes") or [] if node.get("type") == "agent"]
    if not models:
        return estimate.model_copy(update={"models": [], "model_usd_per_million_executions": 0.0})
    assumption = (
        f"each agent node spends {tokens.input_tokens} input and {tokens.output_tokens} output tokens an execution, "
        "all turns together (query parameters assumed_input_tokens and assumed_output_tokens change them)"
    )
    return estimate.model_copy(
        update={
            "models": models,
            "model_usd_per_million_executions": round(sum(m.usd_per_million_executions or 0.0 for m in models), 2),
            "assumptions": [*ASSUMPTIONS, assumption],
        }
    )


def estimate_cost(
    definition: dict[str, Any], document: dict[str, Any] | None = None, tokens: AssumedTokens | None = None
) -> CostEstimate:
    """The estimate of compiled `definition`; with its workflow `document`, its agent nodes' models too."""
    shortest, longest = _scope(definition)
    estimate = CostEstimate(
        shortest=_priced(shortest),
        longest=_priced(longest),
        assumptions=list(ASSUMPTIONS),
        price_source=PRICE_SOURCE,
        prices_recorded_on=PRICES_RECORDED_ON,
    )
    return with_model_costs(estimate, document, tokens or AssumedTokens()) if document is not None else estimate
