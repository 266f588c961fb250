"""Approvals: the pending requests of `approval` nodes, and the answers that resume their executions."""
