"""A regional WAF web ACL in front of the API: a per-IP rate-based rule and AWS's common rule set."""

from __future__ import annotations

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


class WebFirewall(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, stage_arn: str, rate_limit_per_5_minutes: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.metric_name = f"{prefix}-api"
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{prefix}-api",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(self.metric_name),
            rules=[self._rate_rule(prefix, rate_limit_per_5_minutes), self._common_rule_set(prefix)],
        )
        wafv2.CfnWebACLAssociation(self, "ApiAssociation", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn)

    @staticmethod
    def _rate_rule(prefix: str, limit: int) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name="rate-per-ip",
            priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(aggregate_key_type="IP", limit=limit)
            ),
            visibility_config=_visibility(f"{prefix}-rate-per-ip"),
        )

    @staticmethod
    def _common_rule_set(prefix: str) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name="aws-common-rule-set",
            priority=1,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name="AWSManagedRulesCommonRuleSet",
                    # Request bodies up to Lambda's 6 MB limit are legitimate here; the app enforces its own limit.
                    excluded_rules=[wafv2.CfnWebACL.ExcludedRuleProperty(name="SizeRestrictions_BODY")],
                )
            ),
            visibility_config=_visibility(f"{prefix}-common"),
        )
