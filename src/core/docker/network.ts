import { removeNetwork } from './cleanup.ts';
import { docker } from './engine.ts';
import { currentRunId, runLabels, type Owner } from './labels.ts';

export interface LabelledNetwork {
  readonly name: string;
  remove(): Promise<void>;
}

/** A user-defined bridge network carrying the run labels (testcontainers' Network cannot be labelled). */
export async function createNetwork(purpose: string, owner: Owner = 'test'): Promise<LabelledNetwork> {
  const name = owner === 'env' ? `refstack-${purpose}` : `refstack-${purpose}-${currentRunId().slice(-6)}-${process.pid}`;
  const network = await docker().createNetwork({
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: runLabels(owner),
  });
  return {
    name,
    async remove() {
      await removeNetwork(network.id, name);
    },
  };
}
