"""Every test process sees the environment a catalog function gets, pointed at moto in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling

from devserver.bedrock_embeddings import LocalBedrockEmbeddings
from devserver.bedrock_runtime import LocalBedrockRuntime
from devserver.botocore_data import share_botocore_data
from devserver.dynamodb_atomicity import install_dynamodb_atomicity
from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION, ResourceProvisioner, local_environment
from devserver.issuer import LocalIssuer
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.sagemaker_training import REPOSITORY, JobEnvironments
from devserver.stepfunctions_performance import install_stepfunctions_performance
from devserver.stepfunctions_runtime import install_stepfunctions_runtime
from shared.ml.job_kinds import AGENT_TUNING, ANOMALY, FORECAST, JobKind
from shared.settings import get_settings

# botocore parses its JSON models again in every new session, and the emulation makes several per test (moto resets
# the default session, the Step Functions runtime opens its own): one cache for the process serves them all (about
# half of `emulated_aws`'s set-up).
share_botocore_data()
os.environ.update(local_environment("http://unused"))
# In-process tests intercept AWS calls with moto's botocore stubber, which only sees the real endpoints.
os.environ.pop("AWS_ENDPOINT_URL")
# A stream of a running execution would hold a request for minutes; tests read streams of short executions.
os.environ["FORGE_LIVE_STREAM_SECONDS"] = "8"
# The marketplace search index of a test process: empty, in memory (tests of search set a file of their own).
os.environ["FORGE_MARKETPLACE_SEARCH_INDEX"] = ":memory:"


# `make test` spreads the tests over two pytest processes (pytest-xdist, `--dist loadgroup`). Each of these tiers
# stays whole in one of them: they share platforms (`forge dev`) or synthesized CDK apps per session, which a second
# process would start or synthesize again.
ONE_PROCESS_TIERS = ("e2e", "infra")


class TierGroups(LoadGroupScheduling):  # type: ignore[misc]  # pytest-xdist is untyped
    """loadgroup's scheduling with each of ONE_PROCESS_TIERS as one group. A mark cannot say it: pytest-xdist 3.8 puts
    an `xdist_group` mark's name into `item._nodeid`, which pytest 9's node ids no longer read."""

    def _split_scope(self, nodeid: str) -> str:
        tier = nodeid.split("/")[1] if nodeid.startswith("tests/") else ""
        return tier if tier in ONE_PROCESS_TIERS else super()._split_scope(nodeid)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> TierGroups | None:
    return TierGroups(config, log) if config.getvalue("dist") == "loadgroup" else None


@pytest.fixture
def emulated_aws() -> Iterator[LocalLambdaRuntime]:
    """The platform's resources in moto, state machines really executing, Lambda invokes run in-process, Bedrock
    Converse and the marketplace's embeddings answered by the local models (each loaded on its first call)."""
    from shared.aws import clients

    install_stepfunctions_runtime()
    install_stepfunctions_performance()
    install_dynamodb_atomicity()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients._client.cache_clear()
        runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        runtime.install()
        LocalBedrockRuntime().install()
        LocalBedrockEmbeddings().install()
        ResourceProvisioner(lambda service: boto3.client(service, region_name=LOCAL_REGION), runtime).provision()  # type: ignore[call-overload]
        yield runtime
    clients._client.cache_clear()


@pytest.fixture
def issuer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalIssuer]:
    """The local issuer of `forge dev` in a temporary state dir; the API verifies bearer tokens against its JWKS."""
    from shared.auth.tokens import jwt_verifier

    local_issuer = LocalIssuer(tmp_path)
    local_issuer.private_key()
    monkeypatch.setenv("FORGE_AUTH_JWKS_URL", local_issuer.jwks_url)
    get_settings.cache_clear()
    jwt_verifier.cache_clear()
    yield local_issuer
    get_settings.cache_clear()
    jwt_verifier.cache_clear()


@pytest.fixture
def admin_headers(issuer: LocalIssuer) -> dict[str, str]:
    """A platform admin's Authorization header."""
    return {"authorization": f"Bearer {issuer.mint('platform-admin@example.com', platform_admin=True)}"}


def job_python(kind: JobKind) -> Path:
    """The job's environment in .forge/ml-envs/, built on first use in a checkout by the function forge dev uses on a
    job's first run, so whoever comes later (a test, forge dev) finds it."""
    return JobEnvironments().python(REPOSITORY / "sagemaker" / kind.source_folder / "requirements.txt")


@pytest.fixture(scope="session")
def forecast_python() -> Path:
    return job_python(FORECAST)


@pytest.fixture(scope="session")
def anomaly_python() -> Path:
    return job_python(ANOMALY)


@pytest.fixture(scope="session")
def agent_tuning_python() -> Path:
    return job_python(AGENT_TUNING)
