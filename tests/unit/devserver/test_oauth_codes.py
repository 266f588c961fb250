"""Authorization codes of forge dev's local sign-in are redeemable by any API worker process, once."""

from __future__ import annotations

import time
from pathlib import Path

from devserver.oauth import LocalSignIn, PendingCode, PendingCodes
from shared.access import Role


def pending(expires_in: float = 60) -> PendingCode:
    return PendingCode(
        client_id="nexus-forge-api",
        redirect_uri="http://127.0.0.1:8000/callback",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        sign_in=LocalSignIn(subject="ada", tenant_id="t-1", role=Role.OWNER),
        expires_at=time.time() + expires_in,
    )


def test_a_code_issued_by_one_worker_is_redeemed_by_another_once(tmp_path: Path) -> None:
    # Two workers: two processes, each with its own PendingCodes over the one state dir.
    signing_in, exchanging = PendingCodes(tmp_path), PendingCodes(tmp_path)
    signing_in.put("the-code", pending())
    redeemed = exchanging.take("the-code")
    assert redeemed is not None and redeemed.sign_in.subject == "ada"
    assert exchanging.take("the-code") is None and signing_in.take("the-code") is None


def test_an_expired_or_unknown_code_is_refused_and_no_code_is_stored_in_clear(tmp_path: Path) -> None:
    codes = PendingCodes(tmp_path)
    codes.put("old-code", pending(expires_in=-1))
    codes.put("new-code", pending())
    assert codes.take("old-code") is None and codes.take("never-issued") is None
    codes.put("another-code", pending())
    assert not any("code" in path.name for path in tmp_path.iterdir())
