/**
 * `generate systemd` for a container or a pod, from the engine's inspect
 * documents: used by the CLI and by the API's generate route.
 */
import type { Engine } from '../engine/types.js';
import { InvalidArgumentError, TspodError } from '../util/errors.js';
import { containerUnit, podUnits, type ContainerDesc, type GenerateOptions, type Unit } from './generate.js';

export async function generateUnits(engine: Engine, name: string, genOpts: GenerateOptions): Promise<Unit[]> {
  const [ctrDoc] = await engine.containers.inspect([name]);
  if (ctrDoc && !(ctrDoc instanceof Error)) {
    if (ctrDoc.IsInfra) throw new InvalidArgumentError(`${name} is an infra container: generate units for its pod instead`);
    return [safe(() => containerUnit(describe(ctrDoc), genOpts))];
  }
  const [podDoc] = await engine.pods.inspect([name]);
  if (!podDoc || podDoc instanceof Error) throw new TspodError(`${name} does not refer to a container or pod: give the name or ID of an existing one`);
  const infraId = podDoc.InfraContainerID as string | undefined;
  if (!infraId) throw new InvalidArgumentError(`pod ${podDoc.Name} has no infra container: generating units requires one`);
  const memberIds = ((podDoc.Containers as Array<{ Id: string }> | undefined) ?? []).map((c) => c.Id).filter((id) => id !== infraId);
  const docs = await engine.containers.inspect([infraId, ...memberIds]);
  const described = docs.map((d) => {
    if (d instanceof Error) throw d;
    return describe(d);
  });
  return safe(() =>
    podUnits({ id: podDoc.Id as string, name: podDoc.Name as string, createCommand: (podDoc.CreateCommand as string[]) ?? [], infra: described[0]!, containers: described.slice(1) }, genOpts),
  );
}

function safe<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TspodError) throw e;
    throw new InvalidArgumentError((e as Error).message);
  }
}

function describe(doc: Record<string, unknown>): ContainerDesc {
  const config = (doc.Config ?? {}) as Record<string, unknown>;
  return {
    id: doc.Id as string,
    name: doc.Name as string,
    createCommand: (config.CreateCommand as string[] | undefined) ?? [],
    conmonPidFile: doc.ConmonPidFile as string,
    stopTimeout: Number(config.StopTimeout ?? 10),
  };
}
