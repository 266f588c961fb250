import type { Schemas } from "../api/client";

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });

/** A version's cost per 1M executions in its mode, from its shortest to its longest path, models included. */
export function costSummary(cost: Schemas["CostEstimate"], mode: "standard" | "express"): string {
  const perPath = (path: Schemas["PathCost"]) =>
    (mode === "express" ? path.express_usd_per_million_executions : path.standard_usd_per_million_executions) +
    (cost.model_usd_per_million_executions ?? 0);
  const low = perPath(cost.shortest);
  const high = perPath(cost.longest);
  const range = low === high ? usd.format(high) : `${usd.format(low)}–${usd.format(high)}`;
  return `${range} per 1M ${mode} runs`;
}
