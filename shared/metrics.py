"""The platform's CloudWatch metrics (EMF, written through Powertools): namespace, names and dimensions, read by the
functions that emit them and by the CDK constructs that graph them and alarm on them."""

from __future__ import annotations

# Every function's POWERTOOLS_METRICS_NAMESPACE (shared/catalog.py); Powertools adds the `service` dimension.
NAMESPACE = "NexusForge"
SERVICE_DIMENSION = "service"

# Per applied status change of an execution (shared/executions/settle.py), in three dimension sets: per workflow
# (tenant, workflow), per tenant (tenant) and platform-wide (stage); graphed by infra/constructs/execution_dashboard.py.
EXECUTIONS_STARTED = "ExecutionsStarted"
EXECUTIONS_ENDED = "ExecutionsEnded"
# 0 or 1 per end: 1 when it failed, timed out or was aborted.
EXECUTIONS_FAILED = "ExecutionsFailed"
# Milliseconds.
EXECUTION_DURATION = "ExecutionDuration"
TENANT_DIMENSION = "tenant_id"
WORKFLOW_DIMENSION = "workflow_id"
STAGE_DIMENSION = "stage"
# Exactly these sets: a CloudWatch SCHEMA(...) query matches a metric only if it names all of the metric's dimensions.
EXECUTION_DIMENSION_SETS = ((TENANT_DIMENSION, WORKFLOW_DIMENSION), (TENANT_DIMENSION,), (STAGE_DIMENSION,))

# Per schedule slot (functions/schedule_fire); infra/constructs/schedule_alarm.py alarms on the failed ones.
SCHEDULE_SLOTS_FAILED = "ScheduleSlotsFailed"
SCHEDULE_SLOTS_STARTED = "ScheduleSlotsStarted"

# Per greeting of the smoke workflow (functions/smoke_echo).
SMOKE_GREETINGS = "SmokeGreetings"
