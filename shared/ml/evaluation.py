"""The evaluation gate: a new model replaces the one in service only when its evaluation metric is not worse."""

from __future__ import annotations

from typing import Any

from shared.aws import sagemaker
from shared.ml.job_kinds import JOB_KINDS, JobKind


def evaluate_candidate(kind_name: str, job_name: str, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """{accepted, reason, metadata}: metadata (the job's metrics as strings) becomes the model package's
    CustomerMetadataProperties, so the next job is compared with it."""
    kind = JOB_KINDS[kind_name]
    values = {str(metric["MetricName"]): float(metric["Value"]) for metric in metrics}
    metadata = {name: repr(value) for name, value in values.items()} | {"job_name": job_name}
    candidate = values.get(kind.evaluation_metric)
    if candidate is None:
        return _verdict(False, f"the job reported no {kind.evaluation_metric}", metadata)
    if kind.baseline_metric is not None:
        return _against_baseline(kind, kind.baseline_metric, candidate, values, metadata)
    in_service = sagemaker.approved_model_metadata(kind.model_package_group)
    if in_service is None or kind.evaluation_metric not in in_service:
        return _verdict(True, f"{kind.evaluation_metric} {candidate:g}; no model in service", metadata)
    current = float(in_service[kind.evaluation_metric])
    if _worse(kind, candidate, current):
        reason = (
            f"{kind.evaluation_metric} {candidate:g} is worse than {current:g} of the model in service "
            f"({in_service.get('job_name', 'unnamed')})"
        )
        return _verdict(False, reason, metadata)
    return _verdict(True, f"{kind.evaluation_metric} {candidate:g}, in service {current:g}", metadata)


def _against_baseline(
    kind: JobKind, baseline_metric: str, candidate: float, values: dict[str, float], metadata: dict[str, str]
) -> dict[str, Any]:
    """The model the job's would replace is measured by the job itself (e.g. the base model's held-out loss)."""
    baseline = values.get(baseline_metric)
    if baseline is None:
        return _verdict(False, f"the job reported no {baseline_metric}", metadata)
    if _worse(kind, candidate, baseline):
        reason = f"{kind.evaluation_metric} {candidate:g} is worse than {baseline:g} of the model it would replace"
        return _verdict(False, reason, metadata)
    return _verdict(True, f"{kind.evaluation_metric} {candidate:g}, {baseline_metric} {baseline:g}", metadata)


def _worse(kind: JobKind, candidate: float, current: float) -> bool:
    return candidate > current if kind.lower_is_better else candidate < current


def _verdict(accepted: bool, reason: str, metadata: dict[str, str]) -> dict[str, Any]:
    return {"accepted": accepted, "reason": reason, "metadata": metadata}
