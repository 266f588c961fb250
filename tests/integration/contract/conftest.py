from __future__ import annotations

import pytest

from devserver.approvals_poller import ApprovalsQueuePoller
from devserver.emulation import LOCAL_PREFIX
from devserver.lambda_runtime import LocalLambdaRuntime
from tests.integration.executions.conftest import status_watcher
from tests.integration.tenancy.conftest import api

__all__ = ["api", "status_watcher"]


@pytest.fixture
def poller(emulated_aws: LocalLambdaRuntime) -> ApprovalsQueuePoller:
    return ApprovalsQueuePoller(emulated_aws, LOCAL_PREFIX)
