"""Marketplace search: full-text, faceted and semantic, behind one interface (docs/marketplace.md#search)."""
