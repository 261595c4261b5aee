/**
 * Quadlet: turns `.container`, `.volume`, `.network`, `.kube`, `.pod`,
 * `.image` and `.build` files into systemd services that run tspod.
 * Pure: input is the files' text, output the units' text and the errors.
 */
import { basename, extname } from 'node:path';
import { parseUnit, renderUnit, splitWords, UnitSyntaxError, type UnitEntry, type UnitSection } from './unitFile.js';

export const QUADLET_EXTENSIONS = ['.container', '.volume', '.network', '.kube', '.pod', '.image', '.build'] as const;

export interface SourceFile {
  path: string;
  text: string;
}

export interface GeneratedService {
  /** e.g. `web.service`, `data-volume.service`. */
  fileName: string;
  text: string;
  /** Targets from [Install] WantedBy=/RequiredBy= (the generator links them). */
  wantedBy: string[];
  requiredBy: string[];
}

export interface QuadletResult {
  services: GeneratedService[];
  /** One line each: `FILE: what was wrong: what to do`. */
  errors: string[];
}

export interface QuadletOptions {
  executable: string;
  /** Global flags for every command (--root, --runroot...). */
  globalArgs: string[];
}

const GROUP: Record<string, string> = {
  '.container': 'Container', '.volume': 'Volume', '.network': 'Network', '.kube': 'Kube', '.pod': 'Pod', '.image': 'Image', '.build': 'Build',
};
const SUFFIX: Record<string, string> = {
  '.container': '', '.volume': '-volume', '.network': '-network', '.kube': '', '.pod': '-pod', '.image': '-image', '.build': '-build',
};

class QuadletError extends Error {}

const serviceBase = (file: string) => {
  const ext = extname(file);
  return `${basename(file, ext)}${SUFFIX[ext] ?? ''}`;
};

/** Container keys and the run flag each becomes (one flag per value, or per word for the listed ones). */
const CONTAINER_FLAGS: Record<string, { flag: string; perWord?: boolean; bool?: boolean }> = {
  Environment: { flag: '--env', perWord: true },
  EnvironmentFile: { flag: '--env-file' },
  PublishPort: { flag: '--publish', perWord: true },
  ExposeHostPort: { flag: '--expose', perWord: true },
  Label: { flag: '--label', perWord: true },
  Annotation: { flag: '--annotation', perWord: true },
  WorkingDir: { flag: '--workdir' },
  HealthCmd: { flag: '--health-cmd' },
  HealthInterval: { flag: '--health-interval' },
  HealthRetries: { flag: '--health-retries' },
  HealthStartPeriod: { flag: '--health-start-period' },
  HealthTimeout: { flag: '--health-timeout' },
  HealthOnFailure: { flag: '--health-on-failure' },
  Entrypoint: { flag: '--entrypoint' },
  HostName: { flag: '--hostname' },
  DNS: { flag: '--dns', perWord: true },
  DNSSearch: { flag: '--dns-search', perWord: true },
  DNSOption: { flag: '--dns-option', perWord: true },
  AddCapability: { flag: '--cap-add', perWord: true },
  DropCapability: { flag: '--cap-drop', perWord: true },
  ReadOnly: { flag: '--read-only', bool: true },
  RunInit: { flag: '--init', bool: true },
  Tmpfs: { flag: '--tmpfs' },
  Secret: { flag: '--secret' },
  Mount: { flag: '--mount' },
  Ulimit: { flag: '--ulimit' },
  Timezone: { flag: '--tz' },
  LogDriver: { flag: '--log-driver' },
  IP: { flag: '--ip' },
  IP6: { flag: '--ip6' },
  UserNS: { flag: '--userns' },
  Pull: { flag: '--pull' },
  Rootfs: { flag: '--rootfs' },
  Sysctl: { flag: '--sysctl', perWord: true },
  ShmSize: { flag: '--shm-size' },
  AddDevice: { flag: '--device' },
};
const CONTAINER_SPECIAL = ['Image', 'Exec', 'Volume', 'Network', 'User', 'Group', 'PodmanArgs', 'GlobalArgs', 'ContainerName', 'Notify', 'Pod', 'AutoUpdate', 'NoNewPrivileges'];

const VOLUME_KEYS = ['VolumeName', 'Label', 'Driver', 'Options', 'Device', 'Type', 'User', 'Group', 'Copy', 'PodmanArgs', 'GlobalArgs', 'Image'];
const NETWORK_KEYS = ['NetworkName', 'Label', 'Driver', 'Gateway', 'Subnet', 'IPRange', 'Internal', 'IPv6', 'Options', 'DisableDNS', 'DNS', 'IPAMDriver', 'PodmanArgs', 'GlobalArgs'];
const KUBE_KEYS = ['Yaml', 'Network', 'PublishPort', 'ConfigMap', 'LogDriver', 'UserNS', 'PodmanArgs', 'GlobalArgs', 'SetWorkingDirectory', 'ExitCodePropagation'];
const POD_KEYS = ['PodName', 'Network', 'PublishPort', 'Volume', 'PodmanArgs', 'GlobalArgs'];
const IMAGE_KEYS = ['Image', 'AllTags', 'Arch', 'OS', 'Variant', 'TLSVerify', 'AuthFile', 'CertDir', 'Creds', 'PodmanArgs', 'GlobalArgs', 'ImageTag'];
const BUILD_KEYS = ['ImageTag', 'File', 'SetWorkingDirectory', 'Label', 'Annotation', 'Environment', 'Pull', 'Target', 'PodmanArgs', 'GlobalArgs', 'Network', 'Volume'];

/** Quotes a word with blanks or quotes; specifiers (%N, %t, %h) stay live as in Podman's quadlet. */
const quoteWord = (w: string) => (w === '' || /[\s"'\\]/.test(w) ? `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : w);

const isTrue = (v: string) => /^(1|yes|true|on)$/i.test(v);

interface Context {
  opts: QuadletOptions;
  /** Every source by file name, to resolve `x.volume` / `x.network` / `x.pod` references. */
  byName: Map<string, UnitSection[]>;
}

export function generateQuadlet(files: SourceFile[], opts: QuadletOptions): QuadletResult {
  const errors: string[] = [];
  const parsed: Array<{ file: SourceFile; sections: UnitSection[] }> = [];
  const byName = new Map<string, UnitSection[]>();
  for (const file of files) {
    try {
      const sections = parseUnit(file.text, file.path);
      parsed.push({ file, sections });
      byName.set(basename(file.path), sections);
    } catch (e) {
      errors.push(e instanceof UnitSyntaxError ? e.message : `${file.path}: ${(e as Error).message}`);
    }
  }
  const ctx: Context = { opts, byName };
  const services: GeneratedService[] = [];
  for (const { file, sections } of parsed) {
    try {
      services.push(convert(file.path, sections, ctx));
    } catch (e) {
      if (!(e instanceof QuadletError) && !(e instanceof UnitSyntaxError)) throw e;
      errors.push(`${file.path}: ${e.message}`);
    }
  }
  return { services, errors };
}

function convert(path: string, sections: UnitSection[], ctx: Context): GeneratedService {
  const ext = extname(path);
  const group = GROUP[ext];
  if (!group) throw new QuadletError(`unsupported file type "${ext}": use one of ${QUADLET_EXTENSIONS.join(', ')}`);
  const own = sections.filter((s) => s.name === group).flatMap((s) => s.entries);
  const base = basename(path, ext);
  const unit: UnitSection = { name: 'Unit', entries: [] };
  const service: UnitSection = { name: 'Service', entries: [] };
  const passthrough: UnitSection[] = [];
  for (const s of sections) {
    if (s.name === group || s.name.startsWith('X-')) continue;
    if (s.name === 'Unit') unit.entries.push(...s.entries);
    else if (s.name === 'Service') service.entries.push(...s.entries);
    else if (Object.values(GROUP).includes(s.name)) throw new QuadletError(`[${s.name}] does not belong in a ${ext} file: move it to its own file`);
    else passthrough.push(s);
  }
  const add = (sec: UnitSection, key: string, value: string) => sec.entries.push({ key, value, line: 0 });
  add(unit, 'SourcePath', path);
  add(unit, 'RequiresMountsFor', '%t/containers');
  const globals = [...ctx.opts.globalArgs, ...words(own, 'GlobalArgs')];
  const tspod = (args: string[]) => [ctx.opts.executable, ...globals, ...args].map(quoteWord).join(' ');
  const hasService = (key: string) => service.entries.some((e) => e.key === key);
  const oneshot = (command: string[]) => {
    if (!hasService('Type')) add(service, 'Type', 'oneshot');
    if (!hasService('RemainAfterExit')) add(service, 'RemainAfterExit', 'yes');
    add(service, 'ExecStart', tspod(command));
    add(service, 'SyslogIdentifier', '%N');
  };

  switch (ext) {
    case '.container': {
      check(own, [...Object.keys(CONTAINER_FLAGS), ...CONTAINER_SPECIAL], group);
      const image = last(own, 'Image');
      if (!image) throw new QuadletError('no Image= key in [Container]: set the image to run');
      const args: string[] = ['run', `--name=${last(own, 'ContainerName') ?? 'systemd-%N'}`, '--cidfile=%t/%N.cid', '--replace', '--rm', '-d'];
      args.push(`--sdnotify=${isTrue(last(own, 'Notify') ?? 'no') ? 'container' : 'conmon'}`);
      const deps: string[] = [];
      for (const e of own) {
        const spec = CONTAINER_FLAGS[e.key];
        if (!spec) continue;
        if (spec.bool) {
          if (isTrue(e.value)) args.push(spec.flag);
        } else if (spec.perWord) {
          for (const w of splitWords(e.value)) args.push(spec.flag, w);
        } else args.push(spec.flag, e.value);
      }
      const user = last(own, 'User');
      const grp = last(own, 'Group');
      if (user || grp) args.push('--user', grp ? `${user ?? ''}:${grp}` : user!);
      for (const v of values(own, 'Volume')) {
        const [src, ...rest] = v.split(':');
        if (src?.endsWith('.volume')) {
          args.push('-v', [resolveName(ctx, src, 'Volume', 'VolumeName'), ...rest].join(':'));
          deps.push(`${serviceBase(src)}.service`);
        } else args.push('-v', v);
      }
      for (const v of values(own, 'Network')) {
        const [name, ...rest] = v.split(':');
        if (name?.endsWith('.network')) {
          args.push('--network', [resolveName(ctx, name, 'Network', 'NetworkName'), ...rest].join(':'));
          deps.push(`${serviceBase(name)}.service`);
        } else args.push('--network', v);
      }
      const pod = last(own, 'Pod');
      if (pod) {
        if (!pod.endsWith('.pod')) throw new QuadletError(`Pod=${pod} must name a .pod file: use PodmanArgs=--pod for other pods`);
        if (!ctx.byName.has(pod)) throw new QuadletError(`Pod=${pod} refers to a .pod file that does not exist: add it next to this file`);
        args.push('--pod-id-file', `%t/${serviceBase(pod)}.pod-id`);
        deps.push(`${serviceBase(pod)}.service`);
      }
      const autoUpdate = last(own, 'AutoUpdate');
      if (autoUpdate) args.push('--label', `io.containers.autoupdate=${autoUpdate}`);
      if (isTrue(last(own, 'NoNewPrivileges') ?? 'no')) args.push('--security-opt', 'no-new-privileges');
      args.push(...words(own, 'PodmanArgs'), image, ...words(own, 'Exec'));
      for (const d of [...new Set(deps)]) add(unit, 'Requires', d), add(unit, 'After', d);
      add(service, 'Environment', 'PODMAN_SYSTEMD_UNIT=%n');
      add(service, 'KillMode', 'mixed');
      add(service, 'ExecStop', tspod(['rm', '-f', '-i', '--cidfile=%t/%N.cid']));
      add(service, 'ExecStopPost', `-${tspod(['rm', '-f', '-i', '--cidfile=%t/%N.cid'])}`);
      add(service, 'ExecStopPost', '-rm -f %t/%N.cid');
      add(service, 'Delegate', 'yes');
      if (!hasService('Type')) add(service, 'Type', 'notify');
      add(service, 'NotifyAccess', 'all');
      add(service, 'SyslogIdentifier', '%N');
      add(service, 'ExecStart', tspod(args));
      break;
    }
    case '.volume': {
      check(own, VOLUME_KEYS, group);
      const args = ['volume', 'create', '--ignore'];
      for (const l of values(own, 'Label')) for (const w of splitWords(l)) args.push('--label', w);
      const driver = last(own, 'Driver');
      if (driver) args.push('--driver', driver);
      const opts: string[] = [];
      const type = last(own, 'Type');
      if (type) opts.push(`type=${type}`);
      const device = last(own, 'Device');
      if (device) opts.push(`device=${device}`);
      const o = last(own, 'Options');
      if (o) opts.push(`o=${o}`);
      const uid = last(own, 'User');
      if (uid) opts.push(`uid=${uid}`);
      const gid = last(own, 'Group');
      if (gid) opts.push(`gid=${gid}`);
      if (last(own, 'Copy') !== undefined && !isTrue(last(own, 'Copy')!)) opts.push('nocopy');
      for (const op of opts) args.push('--opt', op);
      args.push(...words(own, 'PodmanArgs'), last(own, 'VolumeName') ?? `systemd-${base}`);
      oneshot(args);
      break;
    }
    case '.network': {
      check(own, NETWORK_KEYS, group);
      const args = ['network', 'create', '--ignore'];
      const flag = (key: string, f: string) => {
        for (const v of values(own, key)) args.push(f, v);
      };
      flag('Driver', '--driver');
      flag('Subnet', '--subnet');
      flag('Gateway', '--gateway');
      flag('IPRange', '--ip-range');
      flag('IPAMDriver', '--ipam-driver');
      flag('DNS', '--dns');
      for (const l of values(own, 'Label')) for (const w of splitWords(l)) args.push('--label', w);
      for (const o of values(own, 'Options')) args.push('--opt', o);
      if (isTrue(last(own, 'Internal') ?? 'no')) args.push('--internal');
      if (isTrue(last(own, 'IPv6') ?? 'no')) args.push('--ipv6');
      if (isTrue(last(own, 'DisableDNS') ?? 'no')) args.push('--disable-dns');
      args.push(...words(own, 'PodmanArgs'), last(own, 'NetworkName') ?? `systemd-${base}`);
      oneshot(args);
      break;
    }
    case '.kube': {
      check(own, KUBE_KEYS, group);
      const yaml = last(own, 'Yaml');
      if (!yaml) throw new QuadletError('no Yaml= key in [Kube]: set the Kubernetes YAML file to play');
      const args = ['kube', 'play', '--replace'];
      for (const n of values(own, 'Network')) args.push('--network', n.endsWith('.network') ? resolveName(ctx, n, 'Network', 'NetworkName') : n);
      for (const p of values(own, 'PublishPort')) for (const w of splitWords(p)) args.push('--publish', w);
      for (const c of values(own, 'ConfigMap')) args.push('--configmap', c);
      const log = last(own, 'LogDriver');
      if (log) args.push('--log-driver', log);
      const userns = last(own, 'UserNS');
      if (userns) args.push('--userns', userns);
      args.push(...words(own, 'PodmanArgs'), yaml);
      add(service, 'Environment', 'PODMAN_SYSTEMD_UNIT=%n');
      add(service, 'KillMode', 'mixed');
      if (!hasService('Type')) add(service, 'Type', 'forking');
      add(service, 'ExecStart', tspod(args));
      add(service, 'ExecStopPost', tspod(['kube', 'down', yaml]));
      add(service, 'SyslogIdentifier', '%N');
      break;
    }
    case '.pod': {
      check(own, POD_KEYS, group);
      const idFile = `%t/${base}-pod.pod-id`;
      const args = ['pod', 'create', `--infra-conmon-pidfile=%t/${base}-pod.pid`, `--pod-id-file=${idFile}`, '--exit-policy=stop', '--replace'];
      for (const n of values(own, 'Network')) args.push('--network', n.endsWith('.network') ? resolveName(ctx, n, 'Network', 'NetworkName') : n);
      for (const p of values(own, 'PublishPort')) for (const w of splitWords(p)) args.push('--publish', w);
      for (const v of values(own, 'Volume')) args.push('--volume', v);
      args.push(...words(own, 'PodmanArgs'), '--name', last(own, 'PodName') ?? `systemd-${base}`);
      add(service, 'Environment', 'PODMAN_SYSTEMD_UNIT=%n');
      add(service, 'ExecStartPre', tspod(args));
      add(service, 'ExecStart', tspod(['pod', 'start', `--pod-id-file=${idFile}`]));
      add(service, 'ExecStop', tspod(['pod', 'stop', '--ignore', `--pod-id-file=${idFile}`, '-t', '10']));
      add(service, 'ExecStopPost', tspod(['pod', 'rm', '--ignore', '-f', `--pod-id-file=${idFile}`]));
      if (!hasService('Type')) add(service, 'Type', 'forking');
      add(service, 'PIDFile', `%t/${base}-pod.pid`);
      add(service, 'SyslogIdentifier', '%N');
      break;
    }
    case '.image': {
      check(own, IMAGE_KEYS, group);
      const image = last(own, 'Image');
      if (!image) throw new QuadletError('no Image= key in [Image]: set the image to pull');
      const args = ['image', 'pull'];
      if (isTrue(last(own, 'AllTags') ?? 'no')) args.push('--all-tags');
      const pairs: Array<[string, string]> = [['Arch', '--arch'], ['OS', '--os'], ['Variant', '--variant'], ['AuthFile', '--authfile'], ['CertDir', '--cert-dir'], ['Creds', '--creds']];
      for (const [k, f] of pairs) {
        const v = last(own, k);
        if (v) args.push(f, v);
      }
      const tls = last(own, 'TLSVerify');
      if (tls) args.push(`--tls-verify=${isTrue(tls)}`);
      args.push(...words(own, 'PodmanArgs'), image);
      oneshot(args);
      break;
    }
    case '.build': {
      check(own, BUILD_KEYS, group);
      const tag = last(own, 'ImageTag');
      const file = last(own, 'File');
      if (!tag || !file) throw new QuadletError('[Build] needs ImageTag= and File=: set the tag to build and the Containerfile');
      const args = ['build', '--tag', tag, '--file', file];
      for (const l of values(own, 'Label')) for (const w of splitWords(l)) args.push('--label', w);
      for (const en of values(own, 'Environment')) for (const w of splitWords(en)) args.push('--env', w);
      const target = last(own, 'Target');
      if (target) args.push('--target', target);
      args.push(...words(own, 'PodmanArgs'), last(own, 'SetWorkingDirectory') ?? '.');
      oneshot(args);
      break;
    }
  }
  const installs = passthrough.filter((s) => s.name === 'Install');
  const targets = (key: string) => installs.flatMap((s) => s.entries.filter((e) => e.key === key).flatMap((e) => splitWords(e.value)));
  const text = `# Automatically generated by tspod quadlet from ${path}\n${renderUnit([unit, ...passthrough.filter((s) => s.name !== 'Install'), service, ...installs])}`;
  return { fileName: `${serviceBase(path)}.service`, text, wantedBy: targets('WantedBy'), requiredBy: targets('RequiredBy') };
}

function check(entries: UnitEntry[], known: string[], group: string): void {
  const bad = entries.find((e) => !known.includes(e.key));
  if (bad) throw new QuadletError(`unsupported key "${bad.key}" in [${group}] (line ${bad.line}): remove it or pass the option through PodmanArgs=`);
}

const values = (entries: UnitEntry[], key: string) => entries.filter((e) => e.key === key && e.value !== '').map((e) => e.value);
const last = (entries: UnitEntry[], key: string) => {
  const all = entries.filter((e) => e.key === key);
  return all.length ? all[all.length - 1]!.value : undefined;
};
const words = (entries: UnitEntry[], key: string) => values(entries, key).flatMap(splitWords);

function resolveName(ctx: Context, ref: string, group: string, nameKey: string): string {
  const sections = ctx.byName.get(ref);
  if (!sections) throw new QuadletError(`${ref} is not a quadlet file in the search path: add it or name an existing ${group.toLowerCase()} without the .${group.toLowerCase()} suffix`);
  const entries = sections.filter((s) => s.name === group).flatMap((s) => s.entries);
  return last(entries, nameKey) ?? `systemd-${basename(ref, extname(ref))}`;
}
