/**
 * Starts the core in an Electron utility process and gives the main process a client with the core's own shape
 * (`invoke` + `on`), speaking the shared wire protocol over the process's message port.
 */
import { utilityProcess } from 'electron';
import { createChannelClient, type TransportClient } from '../../shared/transport/client.std.ts';
import { HARDENED_MALLOC_ENV } from '../core/malloc-env.std.ts';

export interface CoreProcess {
  client: TransportClient;
  /** Resolves when the utility process has exited. */
  exited: Promise<number>;
  stop(): void;
}

export function startCoreProcess(hostPath: string, dataDir: string): CoreProcess {
  const child = utilityProcess.fork(hostPath, ['--data', dataDir], {
    serviceName: 'Mindstage core',
    stdio: 'inherit',
    env: { ...process.env, ...HARDENED_MALLOC_ENV },
  });
  const channel = createChannelClient((text) => child.postMessage(text));
  child.on('message', (message: unknown) => {
    if (typeof message === 'string') channel.receive(message);
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code) => {
      channel.disconnected('The Mindstage core stopped. Restart the app; nothing acknowledged was lost.');
      resolve(code);
    }),
  );
  return { client: channel.client, exited, stop: () => void child.kill() };
}
