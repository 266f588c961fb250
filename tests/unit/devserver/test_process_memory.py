"""What the local platform's processes load: no service backend the platform never calls, one copy of botocore's
data per process, no embedding model before one is used (a fresh interpreter each: these are about what a process
has imported)."""

from __future__ import annotations

import subprocess
import sys

from shared.resources import PROJECT_ROOT


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_the_step_functions_interpreter_loads_without_the_ec2_backend_and_batch_still_loads_when_called() -> None:
    loaded = _run(
        "import sys\n"
        "from devserver.moto_imports import defer_batch_backend\n"
        "defer_batch_backend()\n"
        "import moto.stepfunctions.parser.models\n"
        "print(sorted(name for name in ('moto.ec2', 'moto.batch', 'moto.ecs') if name in sys.modules))\n"
        "from moto.batch.models import batch_backends\n"
        "from moto.batch.utils import JobStatus\n"
        "print(batch_backends['123456789012']['us-east-1'].describe_job_queues(None)[:0], JobStatus.SUCCEEDED.name)\n"
    )
    assert loaded.splitlines() == ["[]", "[] SUCCEEDED"]


def test_every_botocore_session_of_a_process_shares_one_parse_of_the_endpoints_and_models() -> None:
    shared = _run(
        "import botocore.session\n"
        "from devserver.botocore_data import share_botocore_data\n"
        "share_botocore_data()\n"
        "first, second = botocore.session.get_session(), botocore.session.get_session()\n"
        "same = [first.get_component('data_loader').load_data_with_path('endpoints')[0]\n"
        "        is second.get_component('data_loader').load_data_with_path('endpoints')[0],\n"
        "        first.get_service_model('dynamodb')._service_description\n"
        "        is second.get_service_model('dynamodb')._service_description]\n"
        "print(same)\n"
    )
    assert shared == "[True, True]"


def test_the_platform_imports_no_embedding_model_until_a_text_is_embedded() -> None:
    imported = _run(
        "import os, sys\n"
        "from devserver.emulation import local_environment\n"
        "os.environ.update(local_environment('http://127.0.0.1:9'))\n"
        "from devserver.api_workers import preload\n"
        "from devserver.bedrock_embeddings import LocalBedrockEmbeddings\n"
        "preload()\n"
        "print(sorted(name for name in ('numpy', 'tokenizers', 'safetensors') if name in sys.modules))\n"
    )
    assert imported == "[]"
