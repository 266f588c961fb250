"""The marketplace: items tenants publish and install (docs/marketplace.md)."""
