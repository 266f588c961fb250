"""The emulated marketplace countersigning key keeps its private key across `forge dev` restarts.

moto's KMS state is not in the local snapshot (its keys do not pickle), so the emulation creates the key anew on each
start, and a new ECC key would no longer verify the countersignatures made before the restart. The key's PEM is kept
in the state dir instead: written the first time, put back into the newly created emulated key on every later start.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIGNING_KEY_FILE = "marketplace-signing-key.pem"


def keep_signing_key(state_dir: Path, key_id: str, account: str, region: str) -> None:
    """Gives the emulated key `key_id` the private key saved in `state_dir`, or saves its own when none is."""
    from moto.backends import get_backend

    emulated: Any = get_backend("kms")[account][region].keys[key_id].private_key
    saved = state_dir / SIGNING_KEY_FILE
    if saved.exists():
        private_key = serialization.load_pem_private_key(saved.read_bytes(), password=None)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{saved} does not hold an elliptic-curve private key")
        emulated.private_key = private_key
        return
    pem = emulated.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = saved.with_suffix(".tmp")
    temporary.write_bytes(pem)
    os.chmod(temporary, 0o600)
    temporary.replace(saved)
