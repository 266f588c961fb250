"""The log retention periods a configuration may choose, as CloudWatch Logs retention values."""

from __future__ import annotations

from aws_cdk import aws_logs as logs

LOG_RETENTION: dict[int, logs.RetentionDays] = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}
