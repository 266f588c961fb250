"""Publishing: namespaces (claimed once, by a conditional write; verified by platform admins), versions uploaded with
their artefacts and the publisher's signature, scanned, countersigned when approved, yanked or deprecated later, and
verified again before any install (`verified_version`).

A version is immutable: its record is written once (conditional put); only its scan outcome, countersignature, yank
and deprecation change afterwards. A version is stored `pending`; the scan runs off the request path: the platform
table's stream feeds `marketplace_scanner` (its event source mapping in the cloud, devserver/table_stream_poller.py
locally), which scans and countersigns each new pending version (`scan_requested`). After a rules change a platform
admin asks for a rescan (`request_rescans`): every approved version whose report is of older rules is marked, and the
stream hands each marked version to the same scanner; the request itself never signs.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pynamodb.exceptions import PutError, UpdateError

from shared.aws import kms, s3
from shared.marketplace import scanning
from shared.marketplace.manifests import (
    NAME_PATTERN,
    SEMVER_PATTERN,
    CredentialRequirement,
    PresetPreview,
    TemplateParameter,
    credential_requirements,
    parse_manifest,
    preset_previews,
    server_url,
)
from shared.marketplace.performance import ItemPerformance, item_performance
from shared.marketplace.scanning import (
    MAX_ARTEFACTS,
    needs_rescan,
    scan_version,
    size_findings,
)
from shared.marketplace.signing import (
    COUNTERSIGNATURE_ALGORITHM,
    VerificationFailed,
    countersigned_payload,
    parse_public_key,
    publisher_signature_valid,
    sha256_digest,
    signed_payload,
    verify_artefacts,
)
from shared.problems import Conflict, InvalidParam, NotFound, PayloadTooLarge, ProblemError, ValidationFailed
from shared.settings import get_settings
from shared.store.context import TenantContext
from shared.store.marketplace import (
    ITEM_SORT_KEY,
    NAMESPACE_SORT_KEY,
    VERSION_PREFIX,
    ItemListingItem,
    NamespaceItem,
    PendingScanItem,
    VersionItem,
    find_listing,
    find_namespace,
    find_version,
    item_key,
    item_versions,
    listed_items,
    namespace_key,
    pending_scan_key,
    pending_scans_before,
    record_listed_item,
)

ARTEFACT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
VersionStatus = Literal["pending", "approved", "rejected"]


class NotPublisher(ProblemError):
    status = 403
    slug = "not-the-namespace-owner"
    title = "The namespace belongs to another tenant"


class VersionNotInstallable(ProblemError):
    status = 409
    slug = "version-not-installable"
    title = "The version cannot be installed"


class SignatureInvalid(ProblemError):
    status = 422
    slug = "signature-invalid"
    title = "A signature or digest does not verify"


class NamespaceClaim(BaseModel):
    public_key: str = Field(description="The publisher's Ed25519 public key, `ed25519:<base64 of 32 bytes>`")

    @field_validator("public_key")
    @classmethod
    def _ed25519(cls, value: str) -> str:
        try:
            parse_public_key(value)
        except (ValueError, binascii.Error) as error:
            raise ValueError(f"is not an Ed25519 public key: {error}") from None
        return value


class Namespace(BaseModel):
    namespace: str
    verified: bool
    public_key: str
    owned_by_caller: bool
    created_at: datetime


class VersionUpload(BaseModel):
    manifest: dict[str, Any] = Field(description="The manifest (its kind's schema: GET /v1/marketplace/schemas/{kind})")
    artefacts: dict[str, str] = Field(
        default_factory=dict, max_length=MAX_ARTEFACTS, description="Artefact name → its bytes, base64"
    )
    signature: str = Field(
        min_length=1,
        max_length=200,
        description="Ed25519 signature (base64) of the canonical JSON of the manifest and the artefacts' digests",
    )

    @field_validator("artefacts")
    @classmethod
    def _artefact_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name in value if not re.match(ARTEFACT_NAME_PATTERN, name)]
        if bad:
            raise ValueError(f"artefact name(s) {', '.join(map(repr, bad))} must match {ARTEFACT_NAME_PATTERN}")
        return value


class Deprecation(BaseModel):
    message: str = Field(min_length=1, max_length=500, description="Why, and what to use instead")


class ItemVersion(BaseModel):
    namespace: str
    name: str
    version: str
    kind: str
    status: VersionStatus
    digests: dict[str, str]
    yanked: bool
    deprecation: str | None
    countersigned: bool
    published_at: datetime


class ScanFinding(BaseModel):
    rule: str
    pointer: str
    message: str


class ScanReportView(BaseModel):
    status: VersionStatus
    rules_version: str | None
    findings: list[ScanFinding]


class ItemView(BaseModel):
    namespace: str
    name: str
    kind: str
    title: str
    description: str
    license: str
    categories: list[str]
    latest_version: str
    publisher_verified: bool
    parameters: list[TemplateParameter] = Field(
        default_factory=list, description="A workflow template's parameters in its latest version, filled at install"
    )
    credentials: list[CredentialRequirement] = Field(
        default_factory=list,
        description="The credentials an install maps to the tenant's, by name and kind (`credentials` of the install)",
    )
    node_presets: list[PresetPreview] = Field(
        default_factory=list, description="The node presets an install adds (an agent's, a connector's operations)"
    )
    server_url: str | None = Field(default=None, description="A connector's API or an MCP server's URL")
    performance: ItemPerformance | None = Field(
        default=None,
        description="Measured over the executions of tenants that share their performance, once at least 5 do",
    )
    performance_hidden: str | None = Field(default=None, description="Why `performance` is null")


class QueuedRescan(BaseModel):
    namespace: str
    name: str
    version: str


class RescanRequests(BaseModel):
    rules_version: str = Field(description="The rules the queued versions are scanned under")
    queued: list[QueuedRescan] = Field(
        description="The approved versions of older rules handed to the scanner; each stays installable until its "
        "scan decides (GET .../versions/{version}/scan shows the outcome)"
    )


class VersionPage(BaseModel):
    items: list[ItemVersion]


def _now() -> datetime:
    return datetime.now(UTC)


def _namespace_view(item: NamespaceItem, tenant: TenantContext | None) -> Namespace:
    return Namespace(
        namespace=item.namespace,
        verified=item.verified,
        public_key=item.public_key,
        owned_by_caller=tenant is not None and item.owner_tenant_id == tenant.tenant_id,
        created_at=item.created_at,
    )


def _checked_name(value: str, what: str) -> str:
    if not re.match(NAME_PATTERN, value):
        raise NotFound(f"No marketplace {what} {value!r}")
    return value


def claim_namespace(tenant: TenantContext, namespace: str, claim: NamespaceClaim) -> Namespace:
    """Reserves the namespace for the tenant on first use, or replaces the tenant's own key; another tenant's
    namespace is never taken over (the put is conditional on its absence or on its owner)."""
    _checked_name(namespace, "namespace")
    now = _now()
    existing = find_namespace(namespace)
    if existing is not None and existing.owner_tenant_id != tenant.tenant_id:
        raise NotPublisher(f"The namespace {namespace!r} is reserved by another tenant")
    item = NamespaceItem(
        namespace_key(namespace),
        NAMESPACE_SORT_KEY,
        namespace=namespace,
        owner_tenant_id=tenant.tenant_id,
        public_key=claim.public_key,
        verified=existing.verified if existing is not None else False,
        created_at=existing.created_at if existing is not None else now,
        key_updated_at=now,
    )
    condition = (
        NamespaceItem.pk.does_not_exist() if existing is None else NamespaceItem.owner_tenant_id == tenant.tenant_id
    )
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise NotPublisher(f"The namespace {namespace!r} is reserved by another tenant") from None
    return _namespace_view(item, tenant)


def get_namespace(tenant: TenantContext | None, namespace: str) -> Namespace:
    item = find_namespace(_checked_name(namespace, "namespace"))
    if item is None:
        raise NotFound(f"No marketplace namespace {namespace!r}")
    return _namespace_view(item, tenant)


def verify_namespace(namespace: str) -> Namespace:
    """A platform admin's mark that the publisher is who it says."""
    item = find_namespace(_checked_name(namespace, "namespace"))
    if item is None:
        raise NotFound(f"No marketplace namespace {namespace!r}")
    item.update(actions=[NamespaceItem.verified.set(True)])
    return _namespace_view(item, None)


def _version_view(item: VersionItem) -> ItemVersion:
    return ItemVersion(
        namespace=item.namespace,
        name=item.name,
        version=item.version,
        kind=item.kind,
        status=item.status,
        digests=item.digests,
        yanked=item.yanked,
        deprecation=item.deprecation,
        countersigned=item.countersignature is not None,
        published_at=item.published_at,
    )


def _decoded_artefacts(upload: VersionUpload) -> dict[str, bytes]:
    artefacts = {}
    for name, text in upload.artefacts.items():
        try:
            artefacts[name] = base64.b64decode(text, validate=True)
        except binascii.Error:
            raise ValidationFailed([InvalidParam(name=f"/artefacts/{name}", reason="is not base64")]) from None
    return artefacts


def _path_matches(upload: VersionUpload, namespace: str, name: str) -> None:
    wrong = [
        InvalidParam(name=f"/manifest/{field}", reason=f"must be {expected!r}, as in the path")
        for field, expected in (("namespace", namespace), ("name", name))
        if upload.manifest.get(field) != expected
    ]
    version = upload.manifest.get("version")
    if not isinstance(version, str) or not re.match(SEMVER_PATTERN, version):
        wrong.append(InvalidParam(name="/manifest/version", reason="must be a semantic version, e.g. 1.0.0"))
    if not isinstance(upload.manifest.get("kind"), str):
        wrong.append(InvalidParam(name="/manifest/kind", reason="must name the item's kind"))
    if wrong:
        raise ValidationFailed(wrong)


def publish_version(tenant: TenantContext, namespace: str, name: str, upload: VersionUpload) -> ItemVersion:
    """Stores a signed version `pending`; the scanner approves or rejects it shortly (GET …/scan says why)."""
    owner = find_namespace(_checked_name(namespace, "namespace"))
    if owner is None:
        raise NotFound(f"No marketplace namespace {namespace!r}: claim it first (PUT /v1/marketplace/namespaces/…)")
    if owner.owner_tenant_id != tenant.tenant_id:
        raise NotPublisher(f"Only the tenant that owns {namespace!r} publishes in it")
    _checked_name(name, "item")
    _path_matches(upload, namespace, name)
    artefacts = _decoded_artefacts(upload)
    too_large = size_findings(
        len(str(upload.manifest).encode()), {artefact: len(data) for artefact, data in artefacts.items()}
    )
    if too_large:
        raise PayloadTooLarge("; ".join(f"{finding.pointer} {finding.message}" for finding in too_large))
    digests = {artefact: sha256_digest(data) for artefact, data in artefacts.items()}
    if not publisher_signature_valid(owner.public_key, signed_payload(upload.manifest, digests), upload.signature):
        raise SignatureInvalid(
            f"The signature does not verify under the key registered to {namespace!r} (signed: the canonical JSON "
            "of the manifest and the artefacts' digests)",
            failed="publisher_signature",
        )
    version = str(upload.manifest["version"])
    prefix = f"marketplace/{namespace}/{name}/{version}/"
    item = VersionItem(
        item_key(namespace, name),
        VERSION_PREFIX + version,
        namespace=namespace,
        name=name,
        version=version,
        kind=str(upload.manifest["kind"]),
        manifest=upload.manifest,
        digests=digests,
        artefact_prefix=prefix,
        publisher_signature=upload.signature,
        publisher_key=owner.public_key,
        status="pending",
        published_by_tenant=tenant.tenant_id,
        published_at=_now(),
    )
    try:
        item.save(condition=VersionItem.sk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise Conflict(f"{namespace}/{name} {version} is already published; versions are immutable") from None
    # The stream hands the insert to the scanner; this entry lets the sweep find the version if that never happens.
    entry_key = pending_scan_key(item.published_at, namespace, name, version)
    PendingScanItem(sk=entry_key, namespace=namespace, name=name, version=version).save()
    bucket = get_settings().require("bucket_payloads")
    for artefact, data in artefacts.items():
        s3.put_object(bucket, prefix + artefact, data, "application/octet-stream")
    return _version_view(item)


VersionRef = tuple[str, str, str]


def versions_to_scan(records: Iterable[Mapping[str, Any]]) -> list[VersionRef]:
    """(namespace, name, version) of each version a DynamoDB stream batch inserts as pending or marks for a rescan."""
    found = []
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage", {})
        if not str(image.get("sk", {}).get("S", "")).startswith(VERSION_PREFIX):
            continue
        inserted_pending = record.get("eventName") == "INSERT" and image.get("status", {}).get("S") == "pending"
        marked = record.get("eventName") == "MODIFY" and "rescan_requested" in image
        if inserted_pending or marked:
            found.append((image["namespace"]["S"], image["name"]["S"], image["version"]["S"]))
    return found


def scan_requested(namespace: str, name: str, version: str) -> str | None:
    """Scans the version if it is still pending, or approved under older rules with a rescan asked for (a stream batch
    may be delivered again); its new status, or None when there was nothing to scan."""
    item = find_version(namespace, name, version)
    if item is None:
        return None
    if item.status == "pending" or (
        item.status == "approved" and item.rescan_requested is not None and needs_rescan(item.rules_version or "")
    ):
        scan_and_countersign(item, _artefacts(item))
        return item.status
    if item.rescan_requested is not None:
        item.update(actions=[VersionItem.rescan_requested.remove()])
    return None


# The stream's scan ends within seconds of a publish; its mapping retries a failing batch for a few minutes at most.
PENDING_REQUEUE_AFTER = timedelta(minutes=15)


def _requeued(version: VersionItem, now: datetime) -> bool:
    """Marks a version still pending for the scanner again; False when it is not pending any more."""
    try:
        version.update(
            actions=[VersionItem.rescan_requested.set(scanning.RULES_VERSION), VersionItem.requeued_at.set(now)],
            condition=VersionItem.status == "pending",
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def requeue_stale_pending(now: datetime) -> list[VersionRef]:
    """The sweep (the scanner on its schedule): each version still pending `PENDING_REQUEUE_AFTER` after its publish,
    or after the sweep last re-queued it, is marked for the scanner again (a MODIFY the stream's rescan filter passes,
    `scan_requested` scans a pending version); an entry whose version left pending is dropped."""
    stale_before = now - PENDING_REQUEUE_AFTER
    requeued: list[VersionRef] = []
    for entry in pending_scans_before(stale_before):
        if entry.requeued_at is not None and entry.requeued_at > stale_before:
            continue
        version = find_version(entry.namespace, entry.name, entry.version)
        if version is None or not _requeued(version, now):
            entry.delete()
            continue
        entry.update(actions=[PendingScanItem.requeued_at.set(now)])
        requeued.append((entry.namespace, entry.name, entry.version))
    return requeued


def _artefacts(item: VersionItem) -> dict[str, bytes]:
    bucket = get_settings().require("bucket_payloads")
    return {artefact: s3.get_bytes(bucket, item.artefact_prefix + artefact) for artefact in item.digests}


def scan_and_countersign(item: VersionItem, artefacts: dict[str, bytes]) -> None:
    """Scans the version; an approved one is countersigned and becomes its item's listing."""
    was_pending = item.status == "pending"
    report = scan_version(item.manifest, artefacts)
    countersignature = None
    if report.status == "approved":
        payload = countersigned_payload(
            item.publisher_signature, signed_payload(item.manifest, item.digests), report.rules_version
        )
        signature = kms.sign(get_settings().marketplace_signing_key_alias, payload, COUNTERSIGNATURE_ALGORITHM)
        countersignature = base64.b64encode(signature).decode()
    item.update(
        actions=[
            VersionItem.status.set(report.status),
            VersionItem.report.set(report.as_dict()),
            VersionItem.rules_version.set(report.rules_version),
            VersionItem.countersignature.set(countersignature)
            if countersignature is not None
            else VersionItem.countersignature.remove(),
            VersionItem.rescan_requested.remove(),
        ]
    )
    if was_pending:
        PendingScanItem(sk=pending_scan_key(item.published_at, item.namespace, item.name, item.version)).delete()
    if report.status == "approved":
        _list(item)


def _list(item: VersionItem) -> None:
    manifest = item.manifest
    # An update of the listing's own attributes: the ratings reviews keep on the same record stay.
    ItemListingItem(item_key(item.namespace, item.name), ITEM_SORT_KEY).update(
        actions=[
            ItemListingItem.namespace.set(item.namespace),
            ItemListingItem.name.set(item.name),
            ItemListingItem.kind.set(item.kind),
            ItemListingItem.title.set(str(manifest.get("title", ""))),
            ItemListingItem.description.set(str(manifest.get("description", ""))),
            ItemListingItem.license.set(str(manifest.get("license", ""))),
            ItemListingItem.categories.set(list(manifest.get("categories", []))),
            ItemListingItem.latest_version.set(item.version),
            ItemListingItem.updated_at.set(_now()),
        ]
    )
    record_listed_item(item.namespace, item.name)


def request_rescans() -> RescanRequests:
    """A rules change: every listed item's approved versions of older rules marked for the scanner (some may be
    rejected then, and are no longer installable); a version already marked is queued again."""
    queued = []
    for namespace, name in listed_items():
        for item in item_versions(namespace, name):
            if item.status == "approved" and needs_rescan(item.rules_version or ""):
                item.update(
                    actions=[VersionItem.rescan_requested.set(scanning.RULES_VERSION)],
                    condition=VersionItem.status == "approved",
                )
                queued.append(QueuedRescan(namespace=namespace, name=name, version=item.version))
    return RescanRequests(rules_version=scanning.RULES_VERSION, queued=queued)


def _owned_version(tenant: TenantContext, namespace: str, name: str, version: str) -> VersionItem:
    item = _version(namespace, name, version)
    if item.published_by_tenant != tenant.tenant_id:
        raise NotPublisher(f"Only the tenant that owns {namespace!r} changes its versions")
    return item


def _version(namespace: str, name: str, version: str) -> VersionItem:
    item = find_version(_checked_name(namespace, "namespace"), _checked_name(name, "item"), version)
    if item is None:
        raise NotFound(f"No version {version!r} of {namespace}/{name}")
    return item


def yank_version(tenant: TenantContext, namespace: str, name: str, version: str) -> ItemVersion:
    """Hidden from new installs; existing installs keep it."""
    item = _owned_version(tenant, namespace, name, version)
    item.update(actions=[VersionItem.yanked.set(True)])
    return _version_view(item)


def deprecate_version(
    tenant: TenantContext, namespace: str, name: str, version: str, deprecation: Deprecation
) -> ItemVersion:
    item = _owned_version(tenant, namespace, name, version)
    item.update(actions=[VersionItem.deprecation.set(deprecation.message)])
    return _version_view(item)


def get_version(namespace: str, name: str, version: str) -> ItemVersion:
    return _version_view(_version(namespace, name, version))


def get_scan_report(namespace: str, name: str, version: str) -> ScanReportView:
    item = _version(namespace, name, version)
    report = item.report or {"findings": []}
    return ScanReportView(
        status=item.status,
        rules_version=item.rules_version,
        findings=[ScanFinding.model_validate(finding) for finding in report["findings"]],
    )


def list_versions(namespace: str, name: str) -> VersionPage:
    items = item_versions(_checked_name(namespace, "namespace"), _checked_name(name, "item"))
    if not items:
        raise NotFound(f"No marketplace item {namespace}/{name}")
    return VersionPage(items=[_version_view(item) for item in items])


def get_item(namespace: str, name: str) -> ItemView:
    listing = find_listing(_checked_name(namespace, "namespace"), _checked_name(name, "item"))
    if listing is None:
        raise NotFound(f"No approved marketplace item {namespace}/{name}")
    publisher = find_namespace(namespace)
    latest = _version(namespace, name, listing.latest_version)
    performance, hidden = item_performance(namespace, name)
    manifest = parse_manifest(latest.manifest)
    return ItemView(
        namespace=listing.namespace,
        name=listing.name,
        kind=listing.kind,
        title=listing.title,
        description=listing.description,
        license=listing.license,
        categories=list(listing.categories),
        latest_version=listing.latest_version,
        publisher_verified=publisher is not None and publisher.verified,
        parameters=[TemplateParameter.model_validate(each) for each in latest.manifest.get("parameters", [])],
        credentials=credential_requirements(manifest),
        node_presets=preset_previews(manifest),
        server_url=server_url(manifest),
        performance=performance,
        performance_hidden=hidden,
    )


def verified_version(namespace: str, name: str, version: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(manifest, artefacts) of a version that may be installed: approved, not yanked, every artefact's digest, the
    publisher's signature and the platform's countersignature verified. Raises a problem naming what failed."""
    item = _version(namespace, name, version)
    if item.status != "approved":
        raise VersionNotInstallable(f"{namespace}/{name} {version} is {item.status}, not approved", failed="scan")
    if item.yanked:
        raise VersionNotInstallable(f"{namespace}/{name} {version} was yanked by its publisher", failed="yanked")
    artefacts = _artefacts(item)
    try:
        verify_artefacts(item.digests, artefacts)
        payload = signed_payload(item.manifest, item.digests)
        if not publisher_signature_valid(item.publisher_key, payload, item.publisher_signature):
            raise VerificationFailed("publisher_signature", "does not verify over the manifest and digests")
        countersigned = countersigned_payload(item.publisher_signature, payload, item.rules_version or "")
        if item.countersignature is None or not kms.verify(
            get_settings().marketplace_signing_key_alias,
            countersigned,
            base64.b64decode(item.countersignature),
            COUNTERSIGNATURE_ALGORITHM,
        ):
            raise VerificationFailed("platform_countersignature", "does not verify")
    except VerificationFailed as failure:
        raise SignatureInvalid(f"{namespace}/{name} {version}: {failure}", failed=failure.failed) from None
    return item.manifest, artefacts
