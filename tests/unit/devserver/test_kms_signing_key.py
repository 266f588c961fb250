"""The emulated marketplace countersigning key verifies, after a forge dev restart, what it signed before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws
from moto.backends import get_backend

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.kms_signing_key import SIGNING_KEY_FILE, keep_signing_key

MESSAGE = b'{"payload":"sha256:abc"}'


def kms() -> Any:
    return boto3.client("kms", region_name=LOCAL_REGION)


def started_key(state_dir: Path) -> str:
    """What each start of the emulation does: a new emulated key, then the kept private key put into it."""
    key_id: str = kms().create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    keep_signing_key(state_dir, key_id, LOCAL_ACCOUNT, LOCAL_REGION)
    return key_id


def test_a_countersignature_made_before_a_restart_still_verifies_after_it(tmp_path: Path) -> None:
    with mock_aws():
        before = started_key(tmp_path)
        signature = kms().sign(KeyId=before, Message=MESSAGE, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
        get_backend("kms")[LOCAL_ACCOUNT].reset()

        after = started_key(tmp_path)

        answer = kms().verify(
            KeyId=after,
            Message=MESSAGE,
            MessageType="RAW",
            Signature=signature["Signature"],
            SigningAlgorithm="ECDSA_SHA_256",
        )
        assert answer["SignatureValid"] is True
    assert (tmp_path / SIGNING_KEY_FILE).stat().st_mode & 0o077 == 0
