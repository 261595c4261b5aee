/**
 * kube down (and play --down, --replace): removes what a play of the same
 * YAML made: its pods, its secrets, and with force its volumes.
 */
import type { Engine } from '../engine/types.js';
import { errorMessage } from '../util/errors.js';
import { podNameOf, readDocuments } from './play.js';
import { KUBE_POD_LABEL } from './names.js';

export interface KubeDownReport {
  stopped: string[];
  removed: string[];
  secrets: string[];
  volumes: string[];
  errors: string[];
}

const WORKLOADS = new Set(['Pod', 'Deployment', 'DaemonSet', 'Job']);

export async function kubeDown(engine: Engine, text: string, source: string, opts: { force?: boolean } = {}): Promise<KubeDownReport> {
  const docs = readDocuments(text, source);
  const podNames: string[] = [];
  const volumeNames: string[] = [];
  const secretNames: string[] = [];
  for (const doc of docs) {
    if (WORKLOADS.has(doc.kind)) {
      podNames.push(podNameOf(doc));
      const spec = doc.kind === 'Pod' ? doc.root.get('spec') : doc.root.get('spec').get('template').get('spec');
      for (const v of spec.get('volumes').list()) {
        const claim = v.get('persistentVolumeClaim').get('claimName').string();
        const configMap = v.get('configMap').get('name').string();
        const secret = v.get('secret').get('secretName').string();
        for (const name of [claim, configMap, secret]) if (name) volumeNames.push(name);
      }
    } else if (doc.kind === 'PersistentVolumeClaim') {
      volumeNames.push(doc.root.get('metadata').get('name').requiredString());
    } else if (doc.kind === 'Secret') {
      secretNames.push(doc.root.get('metadata').get('name').requiredString());
    }
  }
  const report: KubeDownReport = { stopped: [], removed: [], secrets: [], volumes: [], errors: [] };
  const present: string[] = [];
  for (const name of podNames) if (await engine.pods.exists(name)) present.push(name);
  // Each container's own stop timeout (terminationGracePeriodSeconds), as Podman.
  for (const r of await engine.pods.stop(present, { ignore: true })) {
    if (r.error) report.errors.push(errorMessage(r.error));
    else if (r.id) report.stopped.push(r.id);
  }
  for (const r of await engine.pods.remove(present, { force: true, ignore: true })) {
    if (r.error) report.errors.push(errorMessage(r.error));
    else if (r.id) report.removed.push(r.id);
  }
  // emptyDir volumes belong to their pod: they go with it.
  const scratch = present.length ? await engine.volumes.list({ filters: [`label=${KUBE_POD_LABEL}`] }) : [];
  const scratchNames = scratch.filter((v) => present.includes(v.Labels?.[KUBE_POD_LABEL] ?? '')).map((v) => v.Name);
  for (const r of await engine.volumes.remove(scratchNames, { force: true })) if (r.error) report.errors.push(errorMessage(r.error));
  const secrets = [];
  for (const name of secretNames) if (await engine.secrets.exists(name)) secrets.push(name);
  for (const r of await engine.secrets.remove(secrets, { ignore: true })) {
    if (r.error) report.errors.push(errorMessage(r.error));
    else report.secrets.push(r.id ?? r.name);
  }
  if (opts.force) {
    const vols = [];
    for (const name of new Set(volumeNames)) if (await engine.volumes.exists(name)) vols.push(name);
    for (const r of await engine.volumes.remove(vols, { force: true })) {
      if (r.error) report.errors.push(errorMessage(r.error));
      else report.volumes.push(r.name);
    }
  }
  return report;
}

/** Podman's teardown listing: every section, even when empty. */
export function downReportText(report: KubeDownReport): string {
  const section = (title: string, items: string[]) => `${title}:\n${items.map((i) => `${i}\n`).join('')}`;
  return (
    section('Pods stopped', report.stopped) +
    section('Pods removed', report.removed) +
    section('Secrets removed', report.secrets) +
    section('Volumes removed', report.volumes)
  );
}
