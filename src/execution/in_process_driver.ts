import { createMethodContext } from "../models/context_impl.ts";
import type { MethodResult } from "../models/model_type.ts";
import type { Driver, DriverJob } from "./driver.ts";

/** Runs the method inside this process with the cached externalised bundle. */
export class InProcessDriver implements Driver {
  readonly name = "in-process";
  readonly outOfProcess = false;

  async execute(job: DriverJob): Promise<MethodResult | void> {
    const context = createMethodContext(job);
    return await job.model.methods[job.methodName].execute(job.args, context);
  }
}
