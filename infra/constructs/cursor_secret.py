"""The secret that signs pagination cursors: generated once in the primary region, replicated to every other region."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.constants import CURSOR_SECRET_ENV_VAR, cursor_secret_name


class CursorSecret(Construct):
    """The same secret everywhere, so a cursor issued in one region still pages in another after a failover.

    Functions get the value at deploy time (a CloudFormation dynamic reference, never in a template), so the
    application's refusal of the local default (shared/store/cursors.py) never triggers in the cloud.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        owner: bool,
        replica_regions: tuple[str, ...] = (),
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        name = cursor_secret_name(prefix)
        self.secret: secretsmanager.Secret | None = None
        if owner:
            self.secret = secretsmanager.Secret(
                self,
                "Secret",
                secret_name=name,
                description="Signs Nexus Forge pagination cursors (HMAC-SHA256)",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=64, exclude_punctuation=True
                ),
                replica_regions=[secretsmanager.ReplicaRegion(region=region) for region in replica_regions],
                removal_policy=removal_policy,
            )
            NagSuppressions.add_resource_suppressions(
                self.secret,
                [
                    NagPackSuppression(
                        id="AwsSolutions-SMG4",
                        reason="Rotating the cursor key invalidates every outstanding cursor (clients restart "
                        "paging) and needs the app to accept the previous key too; rotate by hand with "
                        "`put-secret-value` and a redeploy (docs/deploy.md)",
                    )
                ],
            )
            value = self.secret.secret_value
        else:
            # The replica (or, for a silo stack, the primary secret itself) in this region, by its name.
            value = SecretValue.secrets_manager(name)
        self.environment = {CURSOR_SECRET_ENV_VAR: value.unsafe_unwrap()}
