// The AWS dispatcher: the HTTP function invokes the worker function asynchronously
// (InvocationType Event) with the job's event; the worker carries the job on under the lease the
// HTTP function took. The HTTP side then reads the job's record, not the worker.
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { SluiceError } from "../errors.js";
import type { Dispatcher, Job } from "./contract.js";

export class LambdaDispatcher implements Dispatcher {
  constructor(
    private readonly client: LambdaClient,
    private readonly workerArn: string,
  ) {}

  async dispatch<T>(job: Job<T>): Promise<{ done?: undefined }> {
    try {
      const result = await this.client.send(
        new InvokeCommand({ FunctionName: this.workerArn, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(job.event)) }),
      );
      if (result.StatusCode !== 202) throw new Error(`worker invoke answered ${result.StatusCode}`);
    } catch (error) {
      const message = `the ${job.event.kind === "sync" ? "sync" : "pull"} worker could not be started`;
      await job.abandon(message);
      throw new SluiceError(message, { cause: error });
    }
    return {};
  }

  async drain(): Promise<void> {}
}
