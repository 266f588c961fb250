from __future__ import annotations

import pytest

from devserver.approvals_poller import ApprovalsQueuePoller
from devserver.emulation import LOCAL_PREFIX
from devserver.lambda_runtime import LocalLambdaRuntime
from tests.integration.executions.conftest import alpha, bravo, status_watcher
from tests.integration.tenancy.conftest import api

__all__ = ["alpha", "api", "bravo", "status_watcher"]


@pytest.fixture
def poller(emulated_aws: LocalLambdaRuntime) -> ApprovalsQueuePoller:
    """The approvals queue's event source mapping; tests deliver with `poll_once` when they need to."""
    return ApprovalsQueuePoller(emulated_aws, LOCAL_PREFIX)
