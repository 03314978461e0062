import { contractTable, type ContractCell, type Dependency, type Fault } from '../../sample-app/contract/index.ts';
import { cellInjection, cellScenario } from './cell.ts';
import { isInjection } from './injections.ts';

export { cellScenario } from './cell.ts';

/** The cells every `npm test` runs, one per dependency (the whole matrix is the nightly job and `refstack contract --all`). */
export const EVERY_RUN_CELLS: ReadonlyArray<readonly [Dependency, Fault]> = [
  ['postgres_primary', 'hung'],
  ['postgres_replica', 'refusing'],
  ['redis', 'hung'],
  ['rabbitmq', 'refusing'],
];

/** Every cell of the contract table with whether this machine's stack can produce it, and if not, why. */
export function matrixCells(): Array<{ cell: ContractCell; notRunHere?: string }> {
  return contractTable.map((cell) => {
    const injection = cellInjection(cell);
    return isInjection(injection) ? { cell } : { cell, notRunHere: injection.notRunHere };
  });
}

export const runnableCells = () => matrixCells().filter((c) => !c.notRunHere).map((c) => cellScenario(c.cell.dependency, c.cell.fault));
