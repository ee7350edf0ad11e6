/**
 * swamp's data shapes built from our stored metadata (design/swamp_api.md
 * §3.3, §4.1): the `DataHandle` a write returns and the `Data` metadata
 * object the data repository returns. Both add swamp's standard tags
 * (`type`, `specName`, `modelName`) to the tags stored with the version.
 */
import type { DataMeta } from "../../data/datastore.ts";
import { dataIdFor } from "./ids.ts";

/** Spec settings that shape a handle (a resource or file spec, plus per-write overrides). */
export interface SpecSettings {
  lifetime?: string | number;
  garbageCollection?: number | string;
  streaming?: boolean;
  tags?: Record<string, string>;
}

/** Who wrote a data item (swamp's OwnerDefinition). */
export interface OwnerDefinition {
  ownerType: "model-method" | "workflow-step" | "manual";
  ownerRef: string;
  source?: string;
}

/** The metadata block of a DataHandle. */
export interface DataHandleMetadata {
  contentType: string;
  lifetime: string | number;
  /** Versions kept (or a duration); null when every version is kept. */
  garbageCollection: number | string | null;
  streaming: boolean;
  tags: Record<string, string>;
  ownerDefinition: OwnerDefinition;
  lifecycle: "active" | "deleted";
  renamedTo?: string;
}

/** swamp's DataHandle; `spec` is our older name for `specName`, kept for existing callers. */
export interface ApiDataHandle {
  name: string;
  specName: string;
  spec: string;
  kind: "resource" | "file";
  dataId: string;
  version: number;
  size: number;
  tags: Record<string, string>;
  metadata: DataHandleMetadata;
}

/** swamp's `Data` (metadata of one version, as dataRepository returns it). */
export interface ApiData {
  id: string;
  name: string;
  version: number;
  contentType: string;
  lifetime: string | number;
  garbageCollection: number | string | null;
  streaming: boolean;
  tags: Record<string, string>;
  ownerDefinition: OwnerDefinition;
  createdAt: Date;
  size?: number;
  checksum?: string;
  lifecycle: "active" | "deleted";
  renamedTo?: string;
}

/** Fields a newer meta.json may carry; read when present. */
type ExtendedMeta = DataMeta & {
  dataId?: string;
  lifetime?: string | number;
  garbageCollection?: number | string;
  streaming?: boolean;
  lifecycle?: "active" | "deleted";
  renamedTo?: string;
};

/** Stored tags plus swamp's standard ones (the standard ones win). */
export function standardTags(
  meta: DataMeta,
  spec?: SpecSettings,
): Record<string, string> {
  return {
    ...(spec?.tags ?? {}),
    ...meta.tags,
    type: meta.kind,
    specName: meta.spec,
    modelName: meta.definition,
  };
}

function settings(meta: DataMeta, spec?: SpecSettings) {
  const m = meta as ExtendedMeta;
  return {
    dataId: m.dataId ?? dataIdFor(meta.modelId, meta.name),
    lifetime: m.lifetime ?? spec?.lifetime ?? "infinite",
    garbageCollection: m.garbageCollection ?? spec?.garbageCollection ?? null,
    streaming: m.streaming ?? spec?.streaming ?? false,
    lifecycle: m.lifecycle ?? "active",
    renamedTo: m.renamedTo,
    owner: {
      ownerType: "model-method",
      ownerRef: meta.modelId,
      source: meta.runId ? `run:${meta.runId}` : undefined,
    } as OwnerDefinition,
  };
}

/** The DataHandle of a stored (or just staged) version. */
export function buildDataHandle(
  meta: DataMeta,
  spec?: SpecSettings,
): ApiDataHandle {
  const s = settings(meta, spec);
  const tags = standardTags(meta, spec);
  const metadata: DataHandleMetadata = {
    contentType: meta.contentType,
    lifetime: s.lifetime,
    garbageCollection: s.garbageCollection,
    streaming: s.streaming,
    tags: { ...tags },
    ownerDefinition: s.owner,
    lifecycle: s.lifecycle,
  };
  if (s.renamedTo) metadata.renamedTo = s.renamedTo;
  return {
    name: meta.name,
    specName: meta.spec,
    spec: meta.spec,
    kind: meta.kind,
    dataId: s.dataId,
    version: meta.version,
    size: meta.size,
    tags,
    metadata,
  };
}

/** swamp's `Data` for a stored version. */
export function buildData(meta: DataMeta, spec?: SpecSettings): ApiData {
  const s = settings(meta, spec);
  const data: ApiData = {
    id: s.dataId,
    name: meta.name,
    version: meta.version,
    contentType: meta.contentType,
    lifetime: s.lifetime,
    garbageCollection: s.garbageCollection,
    streaming: s.streaming,
    tags: standardTags(meta, spec),
    ownerDefinition: s.owner,
    createdAt: new Date(meta.createdAt),
    size: meta.size,
    checksum: meta.sha256,
    lifecycle: s.lifecycle,
  };
  if (s.renamedTo) data.renamedTo = s.renamedTo;
  return data;
}
