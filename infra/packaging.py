"""Lambda code and the dependency layer as CDK assets, bundled on this machine by infra/bundles.py."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3_deployment as s3deploy

from infra.bundles import (
    FUNCTIONS_DIR,
    LAYERS_DIR,
    SAGEMAKER_DIR,
    build_dependency_layer,
    build_function_code,
    build_job_source,
    content_digest,
    function_code_files,
    job_source_files,
    layer_requirements_hash,
)

# Required by the CDK API but never used: local bundling always succeeds or raises.
UNUSED_BUNDLING_IMAGE = DockerImage.from_registry("nexus-forge-local-bundling-only")


@jsii.implements(ILocalBundling)
class _FunctionCodeBundler:
    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    def try_bundle(self, output_dir: str, _options: Any) -> bool:
        build_function_code(self.function_name, Path(output_dir))
        return True


def function_code(function_name: str) -> lambda_.Code:
    """functions/__init__.py + functions/<name>/ + shared/ with their bytecode, hashed by content."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=content_digest(function_code_files(function_name)),
        bundling=BundlingOptions(
            image=UNUSED_BUNDLING_IMAGE, local=cast(ILocalBundling, _FunctionCodeBundler(function_name))
        ),
    )


@jsii.implements(ILocalBundling)
class _DependencyLayerBundler:
    def try_bundle(self, output_dir: str, _options: Any) -> bool:
        shutil.copytree(build_dependency_layer() / "python", Path(output_dir) / "python", dirs_exist_ok=True)
        return True


def dependency_layer_code() -> lambda_.Code:
    """Our dependency layer, rebuilt only when layers/requirements.txt (or the bytecode's version) changes."""
    return lambda_.Code.from_asset(
        str(LAYERS_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=layer_requirements_hash(),
        bundling=BundlingOptions(image=UNUSED_BUNDLING_IMAGE, local=cast(ILocalBundling, _DependencyLayerBundler())),
    )


@jsii.implements(ILocalBundling)
class _JobSourceBundler:
    def __init__(self, source_folder: str) -> None:
        self.source_folder = source_folder

    def try_bundle(self, output_dir: str, _options: Any) -> bool:
        build_job_source(self.source_folder, Path(output_dir))
        return True


def job_source(source_folder: str) -> s3deploy.ISource:
    """A job kind's sourcedir.tar.gz (sagemaker/<folder>/ and sagemaker/contract.py) as an asset, hashed by content."""
    return s3deploy.Source.asset(
        str(SAGEMAKER_DIR / source_folder),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=content_digest(job_source_files(source_folder)),
        bundling=BundlingOptions(
            image=UNUSED_BUNDLING_IMAGE, local=cast(ILocalBundling, _JobSourceBundler(source_folder))
        ),
    )
