"""The forecast job on real series and a generated workload: held-out MASE per series and local training-job wall time.

Real series that ship inside statsmodels (the job's own dependency; its datasets are read in the job's environment):
`co2` (Mauna Loa CO2, weekly, the last 520 weeks, gaps interpolated; season 52), `elnino` (Pacific sea surface
temperature, monthly 1950-2010; season 12), `sunspots` (yearly sunspot activity 1700-2008; an 11-year cycle) and
`macrodata` (US unemployment and CPI, quarterly 1959-2009; season 4). The generated workload: two weeks of hourly
executions of two tenants with a daily cycle, a trend and noise (devserver/workload_series.py).

Each group is one training job run by `forge dev`'s local runner (devserver/sagemaker_training.py) over moto's S3:
horizon 24 steps, 3 rolling-origin folds, each series' last 24 points withheld from the job. Printed per series: the
cross-validation MASE (the windows the choice was made on) of seasonal naive, AutoETS and AutoTheta, then on the
withheld 24 points, which nothing in the job saw, the MASE of seasonal naive and of the model's forecast and their
ratio (issue 16's target: ≤ 0.85). Wall time: from CreateTrainingJob to Completed, the job's environment already built.

The GPU variant (`neural` 1, N-HiTS a fourth candidate) runs train.py on the same files on this machine's CPU, with the
agent-tuning job's Python (torch) reading the forecast job's packages, `neural_epochs` 300: its N-HiTS CV MASE, the
model it chose and that model's withheld MASE relative to seasonal naive's (N-HiTS is kept only where it wins).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

TARGET_RELATIVE_MASE = 0.85
BUCKET = "nexus-forge-local-ml"
# Run with the job's Python: writes <group>.csv (series,timestamp,value) for every dataset group.
EXPORT = """
import sys
import pandas as pd
import statsmodels.api as sm

out = sys.argv[1]
def save(group, frames):
    pd.concat(frames).to_csv(f"{out}/{group}.csv", index=False)

def frame(name, timestamps, values):
    return pd.DataFrame({"series": name, "timestamp": pd.DatetimeIndex(timestamps), "value": list(values)})

co2 = sm.datasets.co2.load_pandas().data["co2"].interpolate().iloc[-520:]
save("weekly", [frame("co2", co2.index, co2)])
elnino = sm.datasets.elnino.load_pandas().data.melt(id_vars="YEAR", var_name="month", value_name="value")
months = {m: i + 1 for i, m in enumerate(["JAN","FEB","MAR","APR","MAY","JUN","JUL","AUG","SEP","OCT","NOV","DEC"])}
elnino["timestamp"] = pd.to_datetime({"year": elnino.YEAR.astype(int), "month": elnino.month.map(months), "day": 1})
elnino = elnino.sort_values("timestamp")
save("monthly", [frame("elnino", elnino.timestamp, elnino.value)])
sun = sm.datasets.sunspots.load_pandas().data
save("yearly", [frame("sunspots", pd.to_datetime(sun.YEAR.astype(int).astype(str) + "-01-01"), sun.SUNACTIVITY)])
macro = sm.datasets.macrodata.load_pandas().data
quarters = pd.PeriodIndex.from_fields(year=macro.year.astype(int), quarter=macro.quarter.astype(int), freq="Q")
save("quarterly", [frame(f"macrodata.{c}", quarters.to_timestamp(), macro[c]) for c in ("unemp", "cpi")])
"""
GROUPS = {"weekly": 52, "monthly": 12, "yearly": 11, "quarterly": 4, "hourly": 24}
HORIZON = 24
NEURAL_EPOCHS = 300


def _withhold_last(path: Path) -> dict[str, tuple[list[float], list[float]]]:
    """Rewrites the group's CSV without each series' last HORIZON points; series → (kept values, withheld values)."""
    with path.open() as file:
        rows = list(csv.DictReader(file))
    by_series: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_series[row["series"]].append(row)
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=["series", "timestamp", "value"])
        writer.writeheader()
        for series_rows in by_series.values():
            writer.writerows(series_rows[:-HORIZON])
    return {
        series: (
            [float(row["value"]) for row in series_rows[:-HORIZON]],
            [float(r["value"]) for r in series_rows[-HORIZON:]],
        )
        for series, series_rows in by_series.items()
    }


def _mase(history: list[float], actual: list[float], predicted: list[float], season_length: int) -> float:
    scale = sum(abs(a - b) for a, b in zip(history[season_length:], history, strict=False)) / (
        len(history) - season_length
    )
    return sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / len(actual) / scale


def _run_job(sagemaker: Any, s3: Any, group: str, season_length: int, runner: Any) -> tuple[float, dict[str, Any]]:
    from devserver.emulation import LOCAL_ACCOUNT
    from devserver.sagemaker_training import REPOSITORY

    name = f"forecast-bench-{group}"
    started = time.perf_counter()
    sagemaker.create_training_job(
        TrainingJobName=name,
        HyperParameters={
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps((REPOSITORY / "sagemaker" / "forecast").as_uri()),
            "horizon": "24",
            "season_length": str(season_length),
            "folds": "3",
        },
        AlgorithmSpecification={"TrainingImage": "sklearn", "TrainingInputMode": "File"},
        RoleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/nexus-forge-local-sagemaker",
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/series/{group}"}},
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 1800},
    )
    runner.wait(name)
    described = sagemaker.describe_training_job(TrainingJobName=name)
    seconds = time.perf_counter() - started
    if described["TrainingJobStatus"] != "Completed":
        raise RuntimeError(f"{name}: {described.get('FailureReason')}")
    archive = s3.get_object(Bucket=BUCKET, Key=f"models/{name}/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as model:
        member = model.extractfile("model.json")
        assert member is not None
        return seconds, json.load(member)


def _run_neural_variant(agent_python: Path, forecast_python: Path, channel: Path, season_length: int) -> dict[str, Any]:
    from devserver.sagemaker_training import REPOSITORY

    site_packages = next((forecast_python.parent.parent / "lib").glob("python*/site-packages"))
    hyperparameters = {"horizon": 24, "season_length": season_length, "folds": 3, "neural": 1}
    with tempfile.TemporaryDirectory() as model_dir:
        subprocess.run(
            [str(agent_python), str(REPOSITORY / "sagemaker" / "forecast" / "train.py")],
            env={
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": str(site_packages),
                "SM_MODEL_DIR": model_dir,
                "SM_OUTPUT_DIR": model_dir,
                "SM_CHANNEL_TRAIN": str(channel),
                "SM_HPS": json.dumps({**hyperparameters, "neural_epochs": NEURAL_EPOCHS}),
            },
            check=True,
            capture_output=True,
        )
        model: dict[str, Any] = json.loads((Path(model_dir) / "model.json").read_text())
        return model


def main() -> None:
    import boto3
    from moto import mock_aws

    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
    from devserver.sagemaker_training import REPOSITORY, JobEnvironments, LocalTrainingJobs
    from devserver.workload_series import write_hourly_panel

    started = time.perf_counter()
    python = JobEnvironments().python(REPOSITORY / "sagemaker" / "forecast" / "requirements.txt")
    agent_python = JobEnvironments().python(REPOSITORY / "sagemaker" / "agent_tuning" / "requirements.txt")
    print(f"job environment ready in {time.perf_counter() - started:.1f} s (built once, then reused)")
    with tempfile.TemporaryDirectory() as temporary, mock_aws():
        folder = Path(temporary)
        subprocess.run([str(python), "-c", EXPORT, str(folder)], check=True)
        write_hourly_panel(folder / "hourly.csv")
        s3 = boto3.client("s3", region_name=LOCAL_REGION)
        s3.create_bucket(Bucket=BUCKET)
        withheld = {}
        for group in GROUPS:
            withheld[group] = _withhold_last(folder / f"{group}.csv")
            s3.upload_file(str(folder / f"{group}.csv"), BUCKET, f"series/{group}/{group}.csv")
            (folder / "channels" / group).mkdir(parents=True)
            (folder / f"{group}.csv").rename(folder / "channels" / group / f"{group}.csv")
        runner = LocalTrainingJobs(folder / "state", LOCAL_ACCOUNT, LOCAL_REGION)
        runner.install()
        sagemaker = boto3.client("sagemaker", region_name=LOCAL_REGION)
        print(f"{'':<25} {'cross-validation MASE':^31} {'withheld 24 points: MASE (CPU job | GPU variant)':^73}")
        print(
            f"{'series':<18} {'season':>6} {'snaive':>7} {'ets':>7} {'theta':>7} {'nhits':>7}"
            f" {'snaive':>7} {'chosen model':>22} {'relative':>8} {'chosen model':>22} {'relative':>8}"
        )
        relatives, neural_relatives, kept = [], [], []
        for group, season_length in GROUPS.items():
            seconds, model = _run_job(sagemaker, s3, group, season_length, runner)
            started = time.perf_counter()
            neural = _run_neural_variant(agent_python, python, folder / "channels" / group, season_length)
            neural_seconds = time.perf_counter() - started
            for series, entry in model["series"].items():
                scores = entry["validation_mase"]
                history, actual = withheld[group][series]
                naive = [history[len(history) - season_length + step % season_length] for step in range(HORIZON)]
                forecast = [point["mean"] for point in entry["forecast"]]
                naive_mase = _mase(history, actual, naive, season_length)
                chosen_mase = _mase(history, actual, forecast, season_length)
                relatives.append(chosen_mase / naive_mase)
                chosen = f"{entry['model']} {chosen_mase:.3f}"
                neural_entry = neural["series"][series]
                neural_forecast = [point["mean"] for point in neural_entry["forecast"]]
                neural_mase = _mase(history, actual, neural_forecast, season_length)
                neural_relatives.append(neural_mase / naive_mase)
                if neural_entry["model"] == "nhits":
                    kept.append(series)
                neural_chosen = f"{neural_entry['model']} {neural_mase:.3f}"
                print(
                    f"{series:<18} {season_length:>6} {scores['seasonal_naive']:>7.3f} {scores['auto_ets']:>7.3f} "
                    f"{scores['auto_theta']:>7.3f} {neural_entry['validation_mase']['nhits']:>7.3f} "
                    f"{naive_mase:>7.3f} {chosen:>22} {chosen_mase / naive_mase:>8.3f} "
                    f"{neural_chosen:>22} {neural_mase / naive_mase:>8.3f}"
                )
            print(
                f"  local training job ({group}, {len(model['series'])} series): {seconds:.1f} s wall; "
                f"GPU variant on CPU: {neural_seconds:.1f} s"
            )
        print(f"N-HiTS kept (chosen by cross-validation) for: {', '.join(kept) or 'no series'}")
        for label, ratios in (("CPU job", relatives), ("GPU variant", neural_relatives)):
            mean = sum(ratios) / len(ratios)
            print(
                f"{label}: withheld points' mean MASE relative to seasonal naive {mean:.3f} "
                f"(target ≤ {TARGET_RELATIVE_MASE})"
            )
