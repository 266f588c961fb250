"""Stacks compose the constructs in infra/constructs."""
