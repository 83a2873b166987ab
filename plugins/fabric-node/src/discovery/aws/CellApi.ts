import type {
  EC2Client,
  ServiceInputTypes as Ec2Input,
  ServiceOutputTypes as Ec2Output,
} from '@aws-sdk/client-ec2';
import type {
  ServiceQuotasClient,
  ServiceInputTypes as QuotasInput,
  ServiceOutputTypes as QuotasOutput,
} from '@aws-sdk/client-service-quotas';
import type { Command } from '@aws-sdk/types';
import { CellRef, cellId } from '@internal/backstage-plugin-fabric-common';
import type { RequestLimiter } from '../../aws';
import { DiscoveryStepError } from './errors';

/**
 * The one door every discovery call of a cell goes through. It takes a token from the
 * cell's bucket first (the limiter keys by service, account and region, as AWS does),
 * passes the cell's abort signal so a timed-out cell stops talking to AWS, and pins any
 * failure to the operation that caused it.
 */
export class CellApi {
  constructor(
    private readonly deps: {
      cell: CellRef;
      ec2: EC2Client;
      serviceQuotas: ServiceQuotasClient;
      limiter: RequestLimiter;
      signal: AbortSignal;
    },
  ) {}

  get cell(): CellRef {
    return this.deps.cell;
  }

  get signal(): AbortSignal {
    return this.deps.signal;
  }

  ec2<I extends Ec2Input, O extends Ec2Output>(command: Command<Ec2Input, I, Ec2Output, O, any>): Promise<O> {
    return this.send('ec2', command, () => this.deps.ec2.send(command, { abortSignal: this.deps.signal }));
  }

  serviceQuotas<I extends QuotasInput, O extends QuotasOutput>(
    command: Command<QuotasInput, I, QuotasOutput, O, any>,
  ): Promise<O> {
    return this.send('servicequotas', command, () =>
      this.deps.serviceQuotas.send(command, { abortSignal: this.deps.signal }),
    );
  }

  private async send<O>(service: string, command: object, call: () => Promise<O>): Promise<O> {
    const operation = command.constructor.name.replace(/Command$/, '');
    const { cell, limiter, signal } = this.deps;
    await limiter.acquire(`${service}:${cellId(cell)}`, signal);
    try {
      return await call();
    } catch (error) {
      throw new DiscoveryStepError(`${service}:${operation} in ${cell.region}`, error);
    }
  }
}
