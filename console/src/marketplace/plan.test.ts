import { describe, expect, it } from "vitest";

import { planLines, uninstallSummary } from "./plan";

describe("planLines", () => {
  it("lists removals first and what the tenant changed last", () => {
    const lines = planLines({
      install_id: "i1",
      from_version: "1.0.0",
      to_version: "1.1.0",
      added: ["acme.petstore.findPets"],
      changed: ["acme.petstore.getPetById"],
      removed: ["acme.petstore.deletePet"],
      kept: [{ kind: "workflow", id: "w1" }],
    });
    expect(lines).toEqual([
      { change: "removed", what: "acme.petstore.deletePet" },
      { change: "changed", what: "acme.petstore.getPetById" },
      { change: "added", what: "acme.petstore.findPets" },
      { change: "kept", what: "workflow w1 (changed by you)" },
    ]);
  });
});

describe("uninstallSummary", () => {
  it("names what was kept because the tenant changed it", () => {
    expect(uninstallSummary({ install_id: "i1", removed: [{ kind: "node_preset", id: "p" }], kept: [] })).toBe(
      "Removed 1 thing.",
    );
    expect(
      uninstallSummary({ install_id: "i1", removed: [], kept: [{ kind: "workflow", id: "w1" }] }),
    ).toBe("Removed 0 things; kept what you changed: workflow w1.");
  });
});
