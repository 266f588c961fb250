"""The platform's identity issuer: one Cognito user pool (primary region), its app client and platform-admins group."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constants import (
    AUTH_AUDIENCE_ENV_VAR,
    AUTH_EXTRA_AUDIENCES_ENV_VAR,
    AUTH_ISSUER_ENV_VAR,
    AUTH_JWKS_URL_ENV_VAR,
    PLATFORM_ADMIN_GROUP,
    TENANT_ATTRIBUTES,
    extra_audiences_parameter_name,
    user_pool_parameter_names,
)


def cognito_issuer(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def auth_environment(region: str, user_pool_id: str, client_id: str, prefix: str) -> dict[str, str]:
    """What an HTTP function is told about the issuer: the app verifies ID tokens, whose `aud` is the API's client id
    or one listed in the primary region's extra-audiences parameter (the console's client, created later)."""
    issuer = cognito_issuer(region, user_pool_id)
    return {
        AUTH_ISSUER_ENV_VAR: issuer,
        AUTH_AUDIENCE_ENV_VAR: client_id,
        AUTH_JWKS_URL_ENV_VAR: f"{issuer}/.well-known/jwks.json",
        AUTH_EXTRA_AUDIENCES_ENV_VAR: (
            f"arn:{Aws.PARTITION}:ssm:{region}:{Aws.ACCOUNT_ID}:parameter{extra_audiences_parameter_name(prefix)}"
        ),
    }


class PlatformUserPool(Construct):
    """Users are created by platform admins (no self sign-up); tenant and role are custom attributes users cannot write.

    The pool id and client id are also published as SSM parameters, from which the other regions' stacks (and silo
    stacks) read them: Cognito user pools are regional and not replicated, so every region trusts this one issuer.
    """

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str, retain: bool) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{prefix}-users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            custom_attributes={
                name: cognito.StringAttribute(min_len=1, max_len=64, mutable=True) for name in TENANT_ATTRIBUTES
            },
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=retain,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        self.client = self.user_pool.add_client(
            "ApiClient",
            user_pool_client_name=f"{prefix}-api",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            # Users may edit their profile, never the tenant or role they act as (admins set those).
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True, fullname=True),
        )
        self.admins = cognito.CfnUserPoolGroup(
            self,
            "PlatformAdmins",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=PLATFORM_ADMIN_GROUP,
            description="Platform administrators: stand outside tenants, create and suspend them",
        )
        region = Stack.of(self).region
        self.environment = auth_environment(
            region, self.user_pool.user_pool_id, self.client.user_pool_client_id, prefix
        )
        pool_parameter, client_parameter = user_pool_parameter_names(prefix)
        ssm.StringParameter(
            self,
            "UserPoolIdParameter",
            parameter_name=pool_parameter,
            string_value=self.user_pool.user_pool_id,
            description="The Nexus Forge user pool, read by the other regions' stacks",
        )
        ssm.StringParameter(
            self,
            "ClientIdParameter",
            parameter_name=client_parameter,
            string_value=self.client.user_pool_client_id,
            description="The Nexus Forge API's app client (the `aud` of its ID tokens)",
        )
