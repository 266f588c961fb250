import type { Schemas } from "../api/client";

export type PlanChange = "added" | "changed" | "removed" | "kept";
export interface PlanLine {
  change: PlanChange;
  what: string;
}

/** An update plan as the lines the Installed page shows before the update is applied, in the order a reader
 * weighs them: what goes away first, what the tenant changed (left as it is) last. */
export function planLines(plan: Schemas["UpdatePlan"]): PlanLine[] {
  return [
    ...plan.removed.map((what) => ({ change: "removed" as const, what })),
    ...plan.changed.map((what) => ({ change: "changed" as const, what })),
    ...plan.added.map((what) => ({ change: "added" as const, what })),
    ...plan.kept.map((thing) => ({ change: "kept" as const, what: `${thing.kind} ${thing.id} (changed by you)` })),
  ];
}

/** One sentence for what an uninstall removed and kept. */
export function uninstallSummary(result: Schemas["Uninstalled"]): string {
  const removed = `Removed ${result.removed.length} ${result.removed.length === 1 ? "thing" : "things"}`;
  if (result.kept.length === 0) return `${removed}.`;
  const kept = result.kept.map((thing) => `${thing.kind} ${thing.id}`).join(", ");
  return `${removed}; kept what you changed: ${kept}.`;
}
