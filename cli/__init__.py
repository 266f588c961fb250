"""`forge`, the command line: a tenant's client of the Nexus Forge API (HTTP only) and the local platform's tools."""
