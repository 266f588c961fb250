import type { ComponentType } from "react";

import type { Schemas } from "../api/client";
import { PerformanceSection, ReviewsSection } from "./ItemSections";

/** A section of the marketplace item page below its listing, versions and install form (reviews, measured
 * performance, installing with credential mapping…): add it to ITEM_SECTIONS and the page mounts it, in order. */
export interface ItemSection {
  id: string;
  title: string;
  Component: ComponentType<{ item: Schemas["ItemView"] }>;
}

export const ITEM_SECTIONS: ItemSection[] = [
  { id: "reviews", title: "Reviews", Component: ReviewsSection },
  { id: "performance", title: "Performance", Component: PerformanceSection },
];
