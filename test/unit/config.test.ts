import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { configEnvironment, containersConfFiles, registriesConfFiles, type ConfigEnvironment } from '../../src/config/paths.js';
import { clampUlimits, loadContainersConf, processHardLimits, resolveStaticDir } from '../../src/config/containersConf.js';
import { applyStorageOverrides, loadStorageConf } from '../../src/config/storageConf.js';
import {
  findRegistry,
  isBlocked,
  isInsecure,
  loadRegistriesConf,
  pullSources,
  type RegistriesConf,
} from '../../src/config/registriesConf.js';
import { BadInputError } from '../../src/util/errors.js';

let base = '';
before(() => {
  base = mkdtempSync(join(tmpdir(), 'tspod-config-test-'));
});
after(() => {
  rmSync(base, { recursive: true, force: true });
});

let counter = 0;
/** A fresh fake filesystem layout: etc/, share/, cache/, home/ under one temp dir. */
function sandbox(overrides: Partial<ConfigEnvironment> = {}, env: NodeJS.ProcessEnv = {}): { root: string; ce: ConfigEnvironment } {
  const root = join(base, `s${++counter}`);
  mkdirSync(root, { recursive: true });
  const homeDir = join(root, 'home');
  const ce = configEnvironment({
    env: { HOME: homeDir, ...env },
    uid: 0,
    homeDir,
    systemDir: join(root, 'etc'),
    vendorDir: join(root, 'share'),
    systemCacheDir: join(root, 'cache'),
    ...overrides,
  });
  return { root, ce };
}

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function throwsBadInput(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof BadInputError && pattern.test(e.message), `expected BadInputError matching ${pattern}`);
}

describe('containers.conf', () => {
  it('uses built-in defaults when no file exists', () => {
    const { ce } = sandbox();
    const conf = loadContainersConf(ce);
    assert.deepEqual(conf.sources, []);
    assert.equal(conf.engine.runtime, 'runc');
    assert.equal(conf.containers.logDriver, 'k8s-file');
    assert.equal(conf.containers.shmSize, '65536k');
    assert.equal(conf.containers.pidsLimit, 2048);
    assert.ok(conf.containers.defaultCapabilities.includes('NET_BIND_SERVICE'));
    assert.equal(conf.containers.defaultCapabilities.length, 11);
    assert.equal(conf.network.networkBackend, 'netavark');
    assert.equal(conf.network.networkConfigDir, '/etc/containers/networks');
    assert.equal(conf.network.defaultNetwork, 'podman');
    assert.equal(conf.network.defaultSubnet, '10.88.0.0/16');
    assert.equal(conf.secrets.driver, 'file');
    assert.equal(conf.engine.tmpDir, '/run/libpod');
    assert.ok(['cgroupfs', 'systemd'].includes(conf.engine.cgroupManager));
    assert.equal(resolveStaticDir(conf, '/var/lib/containers/storage'), '/var/lib/containers/storage/libpod');
  });

  it('reads vendor, system and sorted drop-in files, later keys winning', () => {
    const { root, ce } = sandbox();
    write(join(root, 'share/containers.conf'), '[engine]\nruntime = "crun"\n[containers]\npids_limit = 100\nlog_driver = "journald"\n');
    write(join(root, 'etc/containers.conf'), '[containers]\npids_limit = 200\n');
    write(join(root, 'etc/containers.conf.d/20-b.conf'), '[containers]\nlog_driver = "none"\n');
    write(join(root, 'etc/containers.conf.d/10-a.conf'), '[containers]\nlog_driver = "passthrough"\ntz = "UTC"\n');
    write(join(root, 'etc/containers.conf.d/notes.txt'), 'not toml at all [');
    const conf = loadContainersConf(ce);
    assert.deepEqual(conf.sources, [
      join(root, 'share/containers.conf'),
      join(root, 'etc/containers.conf'),
      join(root, 'etc/containers.conf.d/10-a.conf'),
      join(root, 'etc/containers.conf.d/20-b.conf'),
    ]);
    assert.equal(conf.engine.runtime, 'crun');
    assert.equal(conf.containers.pidsLimit, 200);
    assert.equal(conf.containers.logDriver, 'none');
    assert.equal(conf.containers.tz, 'UTC');
  });

  it('adds the rootless and per-user files for a non-root user', () => {
    const { root, ce } = sandbox({ uid: 1000 }, { XDG_CONFIG_HOME: '' });
    write(join(root, 'etc/containers.conf'), '[containers]\numask = "0077"\ntz = "a"\n');
    write(join(root, 'etc/containers.rootless.conf'), '[containers]\ntz = "b"\n');
    write(join(root, 'etc/containers.rootless.d/1000/x.conf'), '[containers]\nuserns = "keep-id"\n');
    write(join(root, 'home/.config/containers/containers.conf'), '[containers]\ntz = "c"\n');
    write(join(root, 'home/.config/containers/containers.conf.d/z.conf'), '[engine]\nevents_logger = "none"\n');
    const conf = loadContainersConf(ce);
    assert.equal(conf.sources.length, 5);
    assert.equal(conf.containers.umask, '0077');
    assert.equal(conf.containers.tz, 'c');
    assert.equal(conf.containers.userns, 'keep-id');
    assert.equal(conf.engine.eventsLogger, 'none');
    assert.equal(conf.network.networkConfigDir, undefined);
  });

  it('ignores per-user files for root', () => {
    const { root, ce } = sandbox();
    write(join(root, 'home/.config/containers/containers.conf'), '[containers]\ntz = "user"\n');
    assert.deepEqual(containersConfFiles(ce), []);
  });

  it('lets CONTAINERS_CONF replace every file and CONTAINERS_CONF_OVERRIDE come last', () => {
    const { root } = sandbox();
    const only = write(join(root, 'only.conf'), '[containers]\ntz = "only"\nlog_driver = "none"\n');
    const override = write(join(root, 'override.conf'), '[containers]\ntz = "override"\n');
    const { ce } = sandbox({}, { CONTAINERS_CONF: only, CONTAINERS_CONF_OVERRIDE: override });
    write(join(ce.systemDir, 'containers.conf'), '[containers]\numask = "0000"\n');
    const conf = loadContainersConf(ce);
    assert.deepEqual(conf.sources, [only, override]);
    assert.equal(conf.containers.tz, 'override');
    assert.equal(conf.containers.logDriver, 'none');
    assert.equal(conf.containers.umask, '0022');
  });

  it('applies CONTAINERS_CONF_OVERRIDE after the normal files and ignores it when missing', () => {
    const { root } = sandbox();
    const override = write(join(root, 'override.conf'), '[engine]\nruntime = "youki"\n');
    const { ce } = sandbox({}, { CONTAINERS_CONF_OVERRIDE: override });
    write(join(ce.systemDir, 'containers.conf'), '[engine]\nruntime = "crun"\n');
    assert.equal(loadContainersConf(ce).engine.runtime, 'youki');
    const { ce: missing } = sandbox({}, { CONTAINERS_CONF_OVERRIDE: join(root, 'nope.conf') });
    assert.equal(loadContainersConf(missing).engine.runtime, 'runc');
  });

  it('rejects a CONTAINERS_CONF that does not exist', () => {
    const { root } = sandbox();
    const { ce } = sandbox({}, { CONTAINERS_CONF: join(root, 'missing.conf') });
    throwsBadInput(() => loadContainersConf(ce), /CONTAINERS_CONF file .*missing\.conf/);
  });

  it('reports TOML syntax errors with the file', () => {
    const { root } = sandbox();
    const bad = write(join(root, 'bad.conf'), '[containers]\nenv = ["a",\n');
    const { ce } = sandbox({}, { CONTAINERS_CONF: bad });
    throwsBadInput(() => loadContainersConf(ce), new RegExp(`^invalid containers\\.conf ${bad}: line \\d+`));
  });

  it('reports values of the wrong type', () => {
    const { root } = sandbox();
    const bad = write(join(root, 'bad.conf'), '[containers]\npids_limit = "many"\n');
    const { ce } = sandbox({}, { CONTAINERS_CONF: bad });
    throwsBadInput(() => loadContainersConf(ce), /pids_limit must be an integer/);
  });

  it('ignores unknown tables and keys', () => {
    const { root } = sandbox();
    const file = write(join(root, 'c.conf'), '[machine]\ncpus = 4\n[containers]\nfuture_key = true\ntz = "x"\n');
    const { ce } = sandbox({}, { CONTAINERS_CONF: file });
    assert.equal(loadContainersConf(ce).containers.tz, 'x');
  });

  it('appends string arrays from {append=true} on, until {append=false}', () => {
    const { ce } = sandbox();
    const d = join(ce.systemDir, 'containers.conf.d');
    write(join(d, '1.conf'), '[containers]\nenv = ["1=true"]\n');
    write(join(d, '2.conf'), '[containers]\nenv = ["2=true"]\n');
    write(join(d, '3.conf'), '[containers]\nenv = ["3=true", {append=true}]\n');
    write(join(d, '4.conf'), '[containers]\nenv = ["4=true"]\n');
    assert.deepEqual(loadContainersConf(ce).containers.env, ['2=true', '3=true', '4=true']);
    write(join(d, '5.conf'), '[containers]\nenv = ["5=true", {append=false}]\n');
    assert.deepEqual(loadContainersConf(ce).containers.env, ['5=true']);
  });

  it('merges engine.runtimes per runtime and reads the other engine, network and secrets keys', () => {
    const { root } = sandbox();
    const file = write(
      join(root, 'c.conf'),
      [
        '[engine]',
        'conmon_path = ["/opt/conmon"]',
        'cgroup_manager = "systemd"',
        'static_dir = "/srv/libpod"',
        'volume_path = "/srv/volumes"',
        'infra_image = "k8s.gcr.io/pause:3.9"',
        'env = ["http_proxy=x"]',
        'network_cmd_path = "/usr/bin/slirp4netns"',
        'helper_binaries_dir = ["/opt/helpers"]',
        '[engine.runtimes]',
        'runc = ["/opt/runc"]',
        'myrt = ["/opt/myrt"]',
        '[network]',
        'network_backend = "cni"',
        'default_subnet = "10.99.0.0/16"',
        'cni_plugin_dirs = ["/opt/cni"]',
        '[secrets]',
        'driver = "pass"',
        '[secrets.opts]',
        'root = "/x"',
        '[containers]',
        'default_sysctls = ["net.ipv4.ip_forward=1"]',
        'dns_servers = ["1.1.1.1"]',
        'dns_searches = ["example.com"]',
        'dns_options = ["ndots:2"]',
        'label = false',
        'log_size_max = 10485760',
        'init_path = "/usr/bin/tini"',
        'seccomp_profile = "/x.json"',
        'apparmor_profile = "unconfined"',
        'default_capabilities = ["CHOWN"]',
      ].join('\n'),
    );
    const { ce } = sandbox({}, { CONTAINERS_CONF: file });
    const conf = loadContainersConf(ce);
    assert.deepEqual(conf.engine.runtimes.runc, ['/opt/runc']);
    assert.deepEqual(conf.engine.runtimes.myrt, ['/opt/myrt']);
    assert.ok(conf.engine.runtimes.crun!.includes('/usr/bin/crun'));
    assert.deepEqual(conf.engine.conmonPath, ['/opt/conmon']);
    assert.equal(conf.engine.cgroupManager, 'systemd');
    assert.equal(resolveStaticDir(conf, '/ignored'), '/srv/libpod');
    assert.equal(conf.engine.volumePath, '/srv/volumes');
    assert.equal(conf.engine.infraImage, 'k8s.gcr.io/pause:3.9');
    assert.deepEqual(conf.engine.env, ['http_proxy=x']);
    assert.equal(conf.engine.networkCmdPath, '/usr/bin/slirp4netns');
    assert.deepEqual(conf.engine.helperBinariesDir, ['/opt/helpers']);
    assert.equal(conf.network.networkBackend, 'cni');
    assert.equal(conf.network.defaultSubnet, '10.99.0.0/16');
    assert.deepEqual(conf.network.cniPluginDirs, ['/opt/cni']);
    assert.deepEqual(conf.secrets, { driver: 'pass', opts: { root: '/x' } });
    assert.deepEqual(conf.containers.defaultSysctls, ['net.ipv4.ip_forward=1']);
    assert.deepEqual(conf.containers.dnsServers, ['1.1.1.1']);
    assert.deepEqual(conf.containers.dnsSearches, ['example.com']);
    assert.deepEqual(conf.containers.dnsOptions, ['ndots:2']);
    assert.equal(conf.containers.label, false);
    assert.equal(conf.containers.logSizeMax, 10485760);
    assert.equal(conf.containers.initPath, '/usr/bin/tini');
    assert.equal(conf.containers.seccompProfile, '/x.json');
    assert.equal(conf.containers.apparmorProfile, 'unconfined');
    assert.deepEqual(conf.containers.defaultCapabilities, ['CHOWN']);
  });

  it('reads default_subnet_pools, defaulting to Podman\'s pools', () => {
    const { root, ce } = sandbox();
    assert.deepEqual(loadContainersConf(ce).network.defaultSubnetPools, [
      { base: '10.89.0.0/16', size: 24 },
      { base: '10.90.0.0/15', size: 24 },
      { base: '10.92.0.0/14', size: 24 },
      { base: '10.96.0.0/11', size: 24 },
      { base: '10.128.0.0/9', size: 24 },
    ]);
    const file = write(
      join(root, 'pools.conf'),
      '[network]\ndefault_subnet = "10.87.0.0/16"\ndefault_subnet_pools = [{base = "10.10.0.0/16", size = 24}, {base = "10.20.0.0/16", size = 26}]\n',
    );
    const conf = loadContainersConf(sandbox({}, { CONTAINERS_CONF: file }).ce);
    assert.equal(conf.network.defaultSubnet, '10.87.0.0/16');
    assert.deepEqual(conf.network.defaultSubnetPools, [
      { base: '10.10.0.0/16', size: 24 },
      { base: '10.20.0.0/16', size: 26 },
    ]);
    for (const [pools, pattern] of [
      ['"10.10.0.0/16"', /must be an array of tables/],
      ['[{base = "fd00::/8", size = 24}]', /invalid subnet pool ip "fd00::\/8"/],
      ['[{base = "10.10.0.0/16", size = 8}]', /size is bigger than subnet/],
      ['[{base = "10.10.0.0/16", size = 33}]', /must be between 0-32/],
      ['[{base = "10.10.0.0/16"}]', /must be an array of tables/],
    ] as const) {
      const bad = write(join(root, 'bad.conf'), `[network]\ndefault_subnet_pools = ${pools}\n`);
      throwsBadInput(() => loadContainersConf(sandbox({}, { CONTAINERS_CONF: bad }).ce), pattern);
    }
  });

  it('clamps default ulimits above the hard limit and says so', () => {
    const limits = new Map([
      ['nofile', 20000],
      ['nproc', Infinity],
    ]);
    const result = clampUlimits(['nofile=1048576:1048576', 'nofile=1024:2048', 'nproc=999999999', 'nofile=-1', 'core=-1'], limits);
    assert.deepEqual(result.ulimits, ['nofile=20000:20000', 'nofile=1024:2048', 'nproc=999999999', 'nofile=20000:20000', 'core=-1']);
    assert.equal(result.warnings.length, 2);
    assert.match(result.warnings[0]!, /nofile=1048576:1048576 .*20000/);
  });

  it('reads hard limits from /proc/self/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             96365                96365                processes ',
      'Max open files            1024                 unlimited            files     ',
    ].join('\n');
    assert.deepEqual(processHardLimits(text), new Map([
      ['nofile', Infinity],
      ['nproc', 96365],
    ]));
  });

  it('clamps nofile from the configuration against this process', () => {
    const hard = processHardLimits(readFileSync('/proc/self/limits', 'utf8')).get('nofile')!;
    const { root } = sandbox();
    const file = write(join(root, 'c.conf'), '[containers]\ndefault_ulimits = ["nofile=2147483647:2147483647"]\n');
    const conf = loadContainersConf(sandbox({}, { CONTAINERS_CONF: file }).ce);
    if (hard === Infinity) return;
    assert.deepEqual(conf.containers.defaultUlimits, [`nofile=${hard}:${hard}`]);
    assert.equal(conf.warnings.length, 1);
  });
});

describe('storage.conf', () => {
  it('defaults for root', () => {
    const { ce } = sandbox();
    const conf = loadStorageConf(ce);
    assert.equal(conf.driver, 'overlay');
    assert.equal(conf.graphroot, '/var/lib/containers/storage');
    assert.equal(conf.runroot, '/run/containers/storage');
    assert.equal(conf.source, undefined);
  });

  it('defaults for a rootless user', () => {
    const { root, ce } = sandbox({ uid: 1000 });
    const runtimeDir = join(root, 'run-user');
    mkdirSync(runtimeDir);
    const withXdg = configEnvironment({ ...ce, env: { ...ce.env, XDG_DATA_HOME: join(root, 'data'), XDG_RUNTIME_DIR: runtimeDir } });
    const conf = loadStorageConf(withXdg);
    assert.equal(conf.graphroot, join(root, 'data/containers/storage'));
    assert.equal(conf.runroot, join(runtimeDir, 'containers'));
    const plain = loadStorageConf(configEnvironment({ ...ce, env: { ...ce.env, XDG_RUNTIME_DIR: join(root, 'missing') } }));
    assert.equal(plain.graphroot, join(root, 'home/.local/share/containers/storage'));
    assert.equal(plain.runroot, '/tmp/tspod-run-1000/containers');
  });

  it('prefers /etc over /usr/share and reads the options', () => {
    const { root, ce } = sandbox();
    write(join(root, 'share/storage.conf'), '[storage]\ndriver = "btrfs"\n');
    write(
      join(root, 'etc/storage.conf'),
      [
        '[storage]',
        'driver = "vfs"',
        'graphroot = "/srv/storage"',
        'runroot = "/run/srv"',
        'rootless_storage_path = "$HOME/store"',
        '[storage.options]',
        'additionalimagestores = ["/ro/store"]',
        '[storage.options.pull_options]',
        'enable_partial_images = "false"',
        '[storage.options.overlay]',
        'mount_program = "/usr/bin/fuse-overlayfs"',
        'mountopt = "nodev,metacopy=on"',
      ].join('\n'),
    );
    const conf = loadStorageConf(ce);
    assert.equal(conf.source, join(root, 'etc/storage.conf'));
    assert.equal(conf.driver, 'vfs');
    assert.equal(conf.graphroot, '/srv/storage');
    assert.equal(conf.runroot, '/run/srv');
    assert.equal(conf.rootlessStoragePath, join(root, 'home/store'));
    assert.deepEqual(conf.options.additionalImageStores, ['/ro/store']);
    assert.deepEqual(conf.options.pullOptions, { enable_partial_images: 'false' });
    assert.deepEqual(conf.options.overlay, { mountProgram: '/usr/bin/fuse-overlayfs', mountopt: 'nodev,metacopy=on' });
    assert.deepEqual(conf.driverOptions, ['overlay.mount_program=/usr/bin/fuse-overlayfs', 'overlay.mountopt=nodev,metacopy=on']);
  });

  it('gives a rootless user the system driver but not its paths', () => {
    const { root, ce } = sandbox({ uid: 1000 });
    write(join(root, 'etc/storage.conf'), '[storage]\ndriver = "zfs"\ngraphroot = "/srv/storage"\nrootless_storage_path = "$HOME/rl/$UID"\n');
    const conf = loadStorageConf(ce);
    assert.equal(conf.driver, 'overlay');
    assert.equal(conf.graphroot, join(root, 'home/rl/1000'));
  });

  it('uses the per-user storage.conf of a rootless user, and CONTAINERS_STORAGE_CONF above all', () => {
    const { root, ce } = sandbox({ uid: 1000 });
    write(join(root, 'etc/storage.conf'), '[storage]\ndriver = "vfs"\n');
    write(join(root, 'home/.config/containers/storage.conf'), '[storage]\ngraphroot = "/home/u/g"\n');
    const conf = loadStorageConf(ce);
    assert.equal(conf.driver, 'overlay');
    assert.equal(conf.graphroot, '/home/u/g');
    const env = write(join(root, 'env.conf'), '[storage]\ndriver = "vfs"\nrunroot = "/r"\n');
    const fromEnv = loadStorageConf(configEnvironment({ ...ce, env: { ...ce.env, CONTAINERS_STORAGE_CONF: env } }));
    assert.equal(fromEnv.source, env);
    assert.equal(fromEnv.runroot, '/r');
    assert.equal(fromEnv.driver, 'vfs');
  });

  it('accepts the old [storage.options] mount_program', () => {
    const { root, ce } = sandbox();
    write(join(root, 'etc/storage.conf'), '[storage]\n[storage.options]\nmount_program = "/bin/fo"\n');
    assert.equal(loadStorageConf(ce).options.overlay.mountProgram, '/bin/fo');
  });

  it('reports syntax errors', () => {
    const { root, ce } = sandbox();
    const path = write(join(root, 'etc/storage.conf'), '[storage\n');
    throwsBadInput(() => loadStorageConf(ce), new RegExp(`^invalid storage\\.conf ${path}: `));
  });

  it('applies the command line overrides', () => {
    const { root, ce } = sandbox();
    write(join(root, 'etc/storage.conf'), '[storage]\n[storage.options.overlay]\nmount_program = "/bin/fo"\n');
    const conf = loadStorageConf(ce);
    assert.deepEqual(applyStorageOverrides(conf, {}), conf);
    const changed = applyStorageOverrides(conf, { root: '/g', runroot: '/r', driver: 'vfs', opts: ['overlay.mountopt=nodev', ''] });
    assert.equal(changed.graphroot, '/g');
    assert.equal(changed.runroot, '/r');
    assert.equal(changed.driver, 'vfs');
    assert.deepEqual(changed.driverOptions, ['overlay.mountopt=nodev']);
    assert.deepEqual(changed.options.overlay, { mountopt: 'nodev' });
    assert.equal(conf.options.overlay.mountProgram, '/bin/fo', 'the input is not modified');
    throwsBadInput(() => applyStorageOverrides(conf, { opts: ['nonsense'] }), /invalid storage option/);
  });
});

describe('registries.conf', () => {
  const mainConf = [
    'unqualified-search-registries = ["registry.fedoraproject.org", "docker.io"]',
    'short-name-mode = "enforcing"',
    'credential-helpers = ["secretservice"]',
    '',
    '[[registry]]',
    'prefix = "example.com/foo"',
    'location = "internal.example.com/bar"',
    '',
    '[[registry.mirror]]',
    'location = "mirror-0.local/mirror-for-foo"',
    '',
    '[[registry.mirror]]',
    'location = "mirror-1.local/mirrors/foo"',
    'insecure = true',
    '',
    '[[registry]]',
    'location = "registry.com"',
    'insecure = true',
    '',
    '[[registry]]',
    'location = "blocked.io"',
    'blocked = true',
    '',
    '[aliases]',
    '"fedora" = "registry.fedoraproject.org/fedora"',
    '"ubi" = "registry.access.redhat.com/ubi9"',
  ].join('\n');

  function loaded(extra: (root: string) => void = () => undefined): { conf: RegistriesConf; root: string } {
    const { root, ce } = sandbox();
    write(join(root, 'etc/registries.conf'), mainConf);
    extra(root);
    return { conf: loadRegistriesConf(ce), root };
  }

  it('reads the version 2 format', () => {
    const { conf, root } = loaded();
    assert.deepEqual(conf.sources, [join(root, 'etc/registries.conf')]);
    assert.deepEqual(conf.unqualifiedSearchRegistries, ['registry.fedoraproject.org', 'docker.io']);
    assert.equal(conf.shortNameMode, 'enforcing');
    assert.deepEqual(conf.credentialHelpers, ['secretservice']);
    assert.equal(conf.registries.length, 3);
    assert.deepEqual(conf.registries[0], {
      prefix: 'example.com/foo',
      location: 'internal.example.com/bar',
      insecure: false,
      blocked: false,
      mirrorByDigestOnly: false,
      mirrors: [
        { location: 'mirror-0.local/mirror-for-foo', insecure: false, pullFromMirror: 'all' },
        { location: 'mirror-1.local/mirrors/foo', insecure: true, pullFromMirror: 'all' },
      ],
    });
    assert.equal(conf.registries[1]!.prefix, 'registry.com');
    assert.equal(conf.aliases.fedora, 'registry.fedoraproject.org/fedora');
  });

  it('has permissive defaults without any file', () => {
    const { ce } = sandbox();
    const conf = loadRegistriesConf(ce);
    assert.deepEqual(conf, {
      unqualifiedSearchRegistries: [],
      shortNameMode: 'permissive',
      registries: [],
      aliases: {},
      credentialHelpers: ['containers-auth.json'],
      sources: [],
    });
  });

  it('merges drop-ins: lists replaced, registries by prefix, aliases per name', () => {
    const { conf, root } = loaded((r) => {
      write(join(r, 'etc/registries.conf.d/000-shortnames.conf'), '[aliases]\n"alpine" = "docker.io/alpine"\n"fedora" = "quay.io/fedora/fedora"\n');
      write(
        join(r, 'etc/registries.conf.d/50-local.conf'),
        'unqualified-search-registries = ["quay.io"]\n[[registry]]\nlocation = "registry.com"\ninsecure = false\n[[registry]]\nlocation = "new.io"\n[aliases]\n"ubi" = ""\n',
      );
      write(join(r, 'home/.config/containers/registries.conf.d/99-user.conf'), 'short-name-mode = "disabled"\n');
    });
    assert.deepEqual(conf.sources, [
      join(root, 'etc/registries.conf'),
      join(root, 'etc/registries.conf.d/000-shortnames.conf'),
      join(root, 'etc/registries.conf.d/50-local.conf'),
      join(root, 'home/.config/containers/registries.conf.d/99-user.conf'),
    ]);
    assert.deepEqual(conf.unqualifiedSearchRegistries, ['quay.io']);
    assert.equal(conf.shortNameMode, 'disabled');
    assert.deepEqual(
      conf.registries.map((r) => [r.prefix, r.insecure]),
      [
        ['example.com/foo', false],
        ['registry.com', false],
        ['blocked.io', false],
        ['new.io', false],
      ],
    );
    assert.equal(conf.aliases.alpine, 'docker.io/library/alpine', 'alias values are normalized');
    assert.equal(conf.aliases.fedora, 'quay.io/fedora/fedora');
    assert.equal('ubi' in conf.aliases, false, 'an empty value erases an alias');
  });

  it('lets a per-user registries.conf replace the system file and its drop-ins', () => {
    const { root, ce } = sandbox();
    write(join(root, 'etc/registries.conf'), mainConf);
    write(join(root, 'etc/registries.conf.d/x.conf'), 'unqualified-search-registries = ["system.io"]\n');
    write(join(root, 'home/.config/containers/registries.conf'), 'unqualified-search-registries = ["user.io"]\n');
    assert.deepEqual(registriesConfFiles(ce), [join(root, 'home/.config/containers/registries.conf')]);
    assert.deepEqual(loadRegistriesConf(ce).unqualifiedSearchRegistries, ['user.io']);
  });

  it('reads CONTAINERS_REGISTRIES_CONF instead of the system file, keeping drop-ins', () => {
    const { root } = sandbox();
    const file = write(join(root, 'mine.conf'), 'unqualified-search-registries = ["mine.io"]\n');
    const { ce } = sandbox({}, { CONTAINERS_REGISTRIES_CONF: file });
    write(join(ce.systemDir, 'registries.conf'), 'unqualified-search-registries = ["system.io"]\n');
    write(join(ce.systemDir, 'registries.conf.d/shortnames.conf'), '[aliases]\n"busybox" = "docker.io/library/busybox"\n');
    const conf = loadRegistriesConf(ce);
    assert.deepEqual(conf.unqualifiedSearchRegistries, ['mine.io']);
    assert.equal(conf.aliases.busybox, 'docker.io/library/busybox');
  });

  it('gives recorded short-name aliases precedence', () => {
    const { root, ce } = sandbox();
    write(join(root, 'etc/registries.conf'), '[aliases]\n"tool" = "a.io/tool"\n');
    write(join(root, 'cache/short-name-aliases.conf'), '[aliases]\n"tool" = "b.io/tool"\n');
    assert.equal(loadRegistriesConf(ce).aliases.tool, 'b.io/tool');
  });

  it('reads the version 1 format', () => {
    const { root, ce } = sandbox();
    write(
      join(root, 'etc/registries.conf'),
      "[registries.search]\nregistries = ['registry1.com', 'registry2.com']\n[registries.insecure]\nregistries = ['registry3.com', 'registry1.com']\n[registries.block]\nregistries = ['registry.untrusted.com']\n",
    );
    const conf = loadRegistriesConf(ce);
    assert.deepEqual(conf.unqualifiedSearchRegistries, ['registry1.com', 'registry2.com']);
    assert.equal(isInsecure(conf, 'registry1.com'), true);
    assert.equal(isInsecure(conf, 'registry2.com/x:1'), false);
    assert.equal(isInsecure(conf, 'registry3.com:5000'), false);
    assert.equal(isInsecure(conf, 'registry3.com/a/b'), true);
    assert.equal(isBlocked(conf, 'registry.untrusted.com/evil:latest'), true);
    assert.equal(isBlocked(conf, 'registry2.com/fine:latest'), false);
  });

  it('rejects broken files', () => {
    const cases: Array<[string, RegExp]> = [
      ['unqualified-search-registries = ["b.io"]\n[registries.search]\nregistries = ["a.io"]\n', /mixing/],
      ['short-name-mode = "strict"\n', /invalid short-name-mode "strict"/],
      ['[[registry]]\nprefix = "example.com"\n', /location is unset/],
      ['[[registry]]\nlocation = "https://example.com"\n', /URI schemes are not supported/],
      ['[[registry]]\nprefix = "example.*.com"\nlocation = "x.io"\n', /wildcard/],
      ['[[registry]]\nprefix = "*.example.com/foo"\n', /wildcard prefix/],
      ['[[registry]]\nlocation = "a.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "all"\n', /mirror-by-digest-only/],
      ['[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "sometimes"\n', /pull-from-mirror/],
      ['[aliases]\n"docker.io/x" = "docker.io/library/x"\n', /must be a short name/],
      ['[aliases]\n"x:1" = "docker.io/library/x"\n', /tag or digest/],
      ['[aliases]\n"x" = "x"\n', /fully qualified/],
      ['unqualified-search-registries = [\n', /^invalid registries\.conf .*: line/],
    ];
    for (const [text, pattern] of cases) {
      const { root, ce } = sandbox();
      write(join(root, 'etc/registries.conf'), text);
      throwsBadInput(() => loadRegistriesConf(ce), pattern);
    }
  });

  describe('findRegistry', () => {
    function conf(...entries: Array<Partial<RegistriesConf['registries'][number]> & { prefix: string }>): RegistriesConf {
      return {
        unqualifiedSearchRegistries: [],
        shortNameMode: 'permissive',
        aliases: {},
        credentialHelpers: [],
        sources: [],
        registries: entries.map((e) => ({
          location: e.prefix,
          insecure: false,
          blocked: false,
          mirrorByDigestOnly: false,
          mirrors: [],
          ...e,
        })),
      };
    }

    it('picks the longest matching prefix', () => {
      const c = conf({ prefix: 'example.com' }, { prefix: 'example.com/foo', location: 'other.io/bar' }, { prefix: 'example.com/foo/baz:1' });
      assert.equal(findRegistry(c, 'example.com/foo/img:latest')!.registry.prefix, 'example.com/foo');
      assert.equal(findRegistry(c, 'example.com/fooo/img:latest')!.registry.prefix, 'example.com');
      assert.equal(findRegistry(c, 'example.com/foo/baz:1')!.registry.prefix, 'example.com/foo/baz:1');
      assert.equal(findRegistry(c, 'example.com/foo/baz:10')!.registry.prefix, 'example.com/foo');
      assert.deepEqual(findRegistry(c, 'example.com/foo/img:latest')!.sources, [
        { reference: 'other.io/bar/img:latest', insecure: false, isMirror: false },
      ]);
    });

    it('matches only at component boundaries', () => {
      const c = conf({ prefix: 'example.com' }, { prefix: 'quay.io/ns/repo' });
      assert.equal(findRegistry(c, 'example.community/x'), undefined);
      assert.equal(findRegistry(c, 'example.com:5000/x'), undefined, 'a port makes it another host');
      assert.ok(findRegistry(c, 'example.com'));
      assert.ok(findRegistry(c, 'quay.io/ns/repo:tag'));
      assert.ok(findRegistry(c, 'quay.io/ns/repo@sha256:' + 'a'.repeat(64)));
      assert.equal(findRegistry(c, 'quay.io/ns/repository:tag'), undefined);
    });

    it('matches hosts with ports', () => {
      const c = conf({ prefix: 'localhost:5000', insecure: true });
      assert.equal(isInsecure(c, 'localhost:5000/img:1'), true);
      assert.equal(isInsecure(c, 'localhost/img:1'), false);
    });

    it('matches wildcard subdomains, and an exact prefix wins a tie', () => {
      const c = conf({ prefix: '*.example.com', location: '', blocked: true }, { prefix: 'ok.example.com' });
      assert.equal(isBlocked(c, 'a.example.com/x:1'), true);
      assert.equal(isBlocked(c, 'a.b.example.com:5000/x:1'), true);
      assert.equal(isBlocked(c, 'example.com/x:1'), false);
      assert.equal(isBlocked(c, 'a.example.com.evil.io/x:1'), false);
      assert.equal(isBlocked(c, 'ok.example.com/x:1'), false);
      assert.deepEqual(pullSources(c, 'a.example.com/x:1'), [{ reference: 'a.example.com/x:1', insecure: false, isMirror: false }]);
    });

    it('lists mirrors first, then the primary location', () => {
      const { conf: loadedConf } = loaded();
      assert.deepEqual(
        pullSources(loadedConf, 'example.com/foo/image:latest').map((s) => [s.reference, s.insecure, s.isMirror]),
        [
          ['mirror-0.local/mirror-for-foo/image:latest', false, true],
          ['mirror-1.local/mirrors/foo/image:latest', true, true],
          ['internal.example.com/bar/image:latest', false, false],
        ],
      );
      assert.deepEqual(pullSources(loadedConf, 'unknown.io/a:1'), [{ reference: 'unknown.io/a:1', insecure: false, isMirror: false }]);
    });

    it('honours mirror-by-digest-only and pull-from-mirror', () => {
      const digest = 'sha256:' + 'b'.repeat(64);
      const byDigestOnly = conf({
        prefix: 'docker.io',
        mirrorByDigestOnly: true,
        mirrors: [{ location: 'mirror.io', insecure: false, pullFromMirror: 'all' }],
      });
      assert.deepEqual(pullSources(byDigestOnly, 'docker.io/library/a:1').map((s) => s.reference), ['docker.io/library/a:1']);
      assert.deepEqual(pullSources(byDigestOnly, `docker.io/library/a@${digest}`).map((s) => s.reference), [
        `mirror.io/library/a@${digest}`,
        `docker.io/library/a@${digest}`,
      ]);
      const perMirror = conf({
        prefix: 'docker.io',
        mirrors: [
          { location: 'tags.io', insecure: false, pullFromMirror: 'tag-only' },
          { location: 'digests.io', insecure: false, pullFromMirror: 'digest-only' },
        ],
      });
      assert.deepEqual(pullSources(perMirror, 'docker.io/library/a:1').map((s) => s.reference), ['tags.io/library/a:1', 'docker.io/library/a:1']);
      assert.deepEqual(pullSources(perMirror, `docker.io/library/a@${digest}`).map((s) => s.reference), [
        `digests.io/library/a@${digest}`,
        `docker.io/library/a@${digest}`,
      ]);
    });

    it('normalizes an ImageReference before matching', () => {
      const c = conf({ prefix: 'docker.io/library/busybox', location: 'mirror.local/busybox' });
      assert.deepEqual(pullSources(c, { domain: 'index.docker.io', path: 'busybox', tag: 'musl' }).map((s) => s.reference), [
        'mirror.local/busybox:musl',
      ]);
    });
  });
});
