import type { z } from "zod";
import type { MethodContext } from "./context.ts";

/** A resource output: structured JSON validated by its schema. */
export interface ResourceSpec {
  description?: string;
  schema: z.ZodType;
  lifetime?: string | number;
  /** Versions kept: the newest N, or those younger than a duration ("7d"). */
  garbageCollection?: number | string;
  /** Tags added to every write of this spec. */
  tags?: Record<string, string>;
  /** Every field is a secret (stored through a vault). */
  sensitiveOutput?: boolean;
  /** Vault receiving this spec's secrets. */
  vaultName?: string;
}

/** A file output: text or binary content. */
export interface FileSpec {
  description?: string;
  contentType?: string;
  lifetime?: string | number;
  garbageCollection?: number | string;
  /** Line-oriented content (recorded in the data's metadata). */
  streaming?: boolean;
  /** Tags added to every write of this spec. */
  tags?: Record<string, string>;
}

/** What a method returns: handles of the data it wrote (swamp's DataHandles), or nothing. */
export interface MethodResult {
  dataHandles?: unknown[];
}

/** A reference to one written data version, as run reports and commit records keep it. */
export interface DataHandle {
  name: string;
  version: number;
  kind: "resource" | "file";
  spec: string;
  size: number;
}

/** One named method of a model type. */
export interface MethodSpec {
  description?: string;
  arguments?: z.ZodType;
  execute: (
    // deno-lint-ignore no-explicit-any
    args: any,
    context: MethodContext,
  ) => Promise<MethodResult | void> | MethodResult | void;
}

/** A model type as a model file exports it (`export const model = {...}`). */
export interface ModelType {
  type: string;
  version: string;
  description?: string;
  globalArguments?: z.ZodType;
  resources?: Record<string, ResourceSpec>;
  files?: Record<string, FileSpec>;
  methods: Record<string, MethodSpec>;
}
