"""The public surface for plugin authors.

A plugin is a module (or object) with functions marked ``@hookimpl``, listed
under the ``relationship_core`` entry-point group in its ``pyproject.toml``::

    [project.entry-points.relationship_core]
    jsonl = "relationship_core_jsonl.plugin"

Features (kinds, event types, event handlers, job handlers, rule actions,
notification channels) are contributed by the feature hooks (see
``docs/plugins.md``, "Writing a feature plugin"); every named contribution is
looked up the same way (`Named`): a name two plugins contribute is an error
naming both, an unknown name an error listing the known ones.

Storage backends are contributed as `StorageBackendSpec` records by the
`relationship_core_storage_backends`
hook and chosen by URL scheme. A backend implements `StorageBackend`
(whose ``transaction()`` yields a `Transaction`) over the value types
below; the helpers on `Schema` apply the checks every backend must
apply identically, `run_query` evaluates a query in Python for
backends that keep records in memory, and `run_aggregate` an `Aggregate`
(`aggregate` computes one for a backend without the ``aggregates``
capability, over its plain queries). The conformance kit in
``relationship_core.testing.storage`` says whether a backend is correct.
"""

from __future__ import annotations

from relationship_core._plugins.manager import (
    BLOCK_ENV,
    DEFAULT_PLUGINS,
    PluginManager,
    TypedHooks,
    get_plugin_manager,
)
from relationship_core._plugins.markers import PROJECT, HookSpecs, hookimpl, hookspec
from relationship_core._plugins.named import Contribution, Named
from relationship_core._plugins.specs import (
    ANY_EVENT,
    EventHandlerSpec,
    JobHandlerSpec,
    NotificationChannelSpec,
    RuleActionSpec,
    StorageBackendSpec,
)
from relationship_core._storage.aggregate import (
    CheckedAggregate,
    aggregate,
    check_aggregate,
    finish_groups,
    run_aggregate,
)
from relationship_core._storage.contract import (
    CONTRACT_VERSION,
    Aggregate,
    AggregateOp,
    Capability,
    Condition,
    Delete,
    FieldType,
    Group,
    IndexValue,
    Job,
    JobState,
    Measure,
    NewEvent,
    NewJob,
    Op,
    Page,
    Query,
    QueueStats,
    Record,
    StoredEvent,
    Write,
)
from relationship_core._storage.dump import (
    ConsumerPosition,
    DumpedRecord,
    DumpItem,
    copy_any,
    dump_store,
    load_store,
)
from relationship_core._storage.memory import MemoryBackend
from relationship_core._storage.protocols import (
    AggregatingReader,
    BackendFactory,
    JobControlBackend,
    JobControlTransaction,
    Reader,
    StorageBackend,
    Transaction,
    VersionedBackend,
    VersionedTransaction,
    contract_version,
    require_job_control,
)
from relationship_core._storage.resume import LoadMark, check_destination
from relationship_core._storage.schema import (
    CheckedQuery,
    FieldSpec,
    KindSpec,
    Schema,
    check_claim,
    check_position,
    decode_value,
    dump_json,
    encode_value,
    run_query,
)
from relationship_core._storage.url import StorageURL, parse_url, redact
from relationship_core._storage.versions import MemoryVersions, StoredVersion

__all__ = [
    # pluggy wiring
    "PROJECT",
    "hookimpl",
    "hookspec",
    "HookSpecs",
    "StorageBackendSpec",
    # features
    "EventHandlerSpec",
    "ANY_EVENT",
    "JobHandlerSpec",
    "RuleActionSpec",
    "NotificationChannelSpec",
    "Named",
    "Contribution",
    "PluginManager",
    "TypedHooks",
    "get_plugin_manager",
    "DEFAULT_PLUGINS",
    "BLOCK_ENV",
    # the contract a backend implements
    "StorageBackend",
    "Transaction",
    "JobControlBackend",
    "JobControlTransaction",
    "VersionedBackend",
    "VersionedTransaction",
    "StoredVersion",
    "MemoryVersions",
    "CONTRACT_VERSION",
    "contract_version",
    "require_job_control",
    "Reader",
    "AggregatingReader",
    "BackendFactory",
    "Capability",
    "StorageURL",
    "parse_url",
    "redact",
    # schema and shared checks
    "Schema",
    "KindSpec",
    "FieldSpec",
    "FieldType",
    "IndexValue",
    "CheckedQuery",
    "run_query",
    "CheckedAggregate",
    "check_aggregate",
    "run_aggregate",
    "finish_groups",
    "aggregate",
    "dump_json",
    "encode_value",
    "decode_value",
    "check_claim",
    "check_position",
    # values
    "Record",
    "Write",
    "Delete",
    "Condition",
    "Op",
    "Aggregate",
    "AggregateOp",
    "Measure",
    "Group",
    "Query",
    "Page",
    "NewEvent",
    "StoredEvent",
    "NewJob",
    "Job",
    "JobState",
    "QueueStats",
    # whole-store dumps (capability "dump") and copies between any two backends
    "DumpedRecord",
    "ConsumerPosition",
    "DumpItem",
    "dump_store",
    "load_store",
    "copy_any",
    "LoadMark",
    "check_destination",
    # the reference backend
    "MemoryBackend",
]
