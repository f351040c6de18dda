// The AWS dispatcher: the HTTP pull function invokes the worker function asynchronously
// (InvocationType Event), which resumes the pull under the lease this function took. The HTTP
// side then waits on the run record, not on the worker.
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { SluiceError } from "../../errors.js";
import type { BegunPull } from "../runner.js";
import type { PullDispatcher, ResumePullEvent } from "./contract.js";

export class LambdaDispatcher implements PullDispatcher {
  constructor(
    private readonly client: LambdaClient,
    private readonly workerArn: string,
    private readonly onFailure: (begun: BegunPull, message: string) => Promise<void>,
  ) {}

  async dispatch(begun: BegunPull): Promise<{ done?: undefined }> {
    const event: ResumePullEvent = {
      kind: "resume",
      tenant: begun.run.tenant,
      connector_id: begun.run.connector_id,
      run_id: begun.run.run_id,
      lease_expires_at: begun.lease.expiresAt,
    };
    try {
      const result = await this.client.send(
        new InvokeCommand({ FunctionName: this.workerArn, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }),
      );
      if (result.StatusCode !== 202) throw new Error(`worker invoke answered ${result.StatusCode}`);
    } catch (error) {
      await this.onFailure(begun, "the pull worker could not be started");
      throw new SluiceError("the pull worker could not be started", { cause: error });
    }
    return {};
  }

  async drain(): Promise<void> {}
}
