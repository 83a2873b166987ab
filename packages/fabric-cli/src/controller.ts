import { ConfigSources } from '@backstage/config-loader';
import { parseFabricConfig, provisionerFromConfig } from '@internal/backstage-plugin-fabric-node';
import { resolve } from 'node:path';

export interface ControllerIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Aborted on SIGTERM/SIGINT: the controller releases its Lease and exits. */
  signal: AbortSignal;
}

/**
 * `fabric controller`: the provisioner as its own process, for a Deployment in the hub
 * cluster. Reads the same app-config files as the backend (with `$file` and `$env`
 * substitutions and `APP_CONFIG_*` overrides), runs the loop while it holds the Lease, and
 * on SIGTERM releases the Lease so a standby takes over at once. Logs are JSON lines.
 */
export async function runController(options: { configPaths: string[]; identity?: string }, io: ControllerIo): Promise<number> {
  const log = (level: string, message: string, fields: Record<string, unknown> = {}) =>
    io.out.write(`${JSON.stringify({ level, message, time: new Date().toISOString(), ...fields })}\n`);
  // The backend's own loading: the files in order, `$file`/`$env` substitutions, then
  // APP_CONFIG_* overrides from the environment.
  const source = ConfigSources.default({
    argv: options.configPaths.flatMap(path => ['--config', resolve(path)]),
    env: io.env,
    rootDir: process.cwd(),
  });
  const config = await ConfigSources.toConfig(source);
  try {
    const fabric = parseFabricConfig(config.getOptional('fabric'));
    const provisioner = provisionerFromConfig(fabric, {
      identity: options.identity ?? io.env.POD_NAME,
      events: {
        info: (message, fields) => log('info', message, fields),
        warn: (message, fields) => log('warn', message, fields),
        audit: event => log('info', `audit: ${event.action}`, { ...event }),
      },
    });
    await provisioner.start();
    log('info', 'Fabric provisioner started; it acts while it holds the Lease', { identity: provisioner.health().observedLeader });
    await new Promise<void>(done => {
      if (io.signal.aborted) done();
      io.signal.addEventListener('abort', () => done(), { once: true });
    });
    log('info', 'Stopping: releasing the Lease');
    await provisioner.stop({ release: true });
    return 0;
  } catch (error) {
    io.err.write(`${(error as Error).message}\n`);
    return 1;
  } finally {
    config.close();
  }
}
