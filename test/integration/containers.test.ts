import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, TSPOD, fixturesDir } from './harness.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

const box = new Sandbox('containers');
let fx: FixtureSet;
const IMG = 'localhost/tspod-test/busybox';

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

/** Every mount, conmon and runtime state dir that belongs to this sandbox. */
function leftovers(): { mounts: string[]; conmons: number[]; runtimeState: string[] } {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((l) => l.includes(box.dir));
  const conmons: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.startsWith('/usr/bin/conmon') && cmdline.includes(box.dir)) conmons.push(Number(pid));
    } catch {
      // exited
    }
  }
  const stateDir = box.path('run', 'tspod', 'runtime', 'runc');
  const runtimeState = existsSync(stateDir) ? readdirSync(stateDir) : [];
  return { mounts, conmons, runtimeState };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for a condition on real state (a process gone, a file written); fails after a bound. */
async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('run in the foreground', { timeout: 120_000 }, () => {
  test('prints the output and exits with the container code', () => {
    const hello = box.run(['run', '--rm', IMG, 'echo', 'hello']);
    assert.equal(hello.code, 0, hello.stderr);
    assert.equal(hello.stdout, 'hello\n');
    const r = box.run(['run', '--rm', IMG, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(box.ok(['ps', '-aq']), '', '--rm removed the containers');
  });

  test('--log-driver passthrough hands the container this process\'s stdio; none keeps no log', () => {
    const r = box.run(['run', '--rm', '--log-driver', 'passthrough', IMG, 'sh', '-c', 'echo through; echo err >&2; exit 6']);
    assert.equal(r.code, 6, r.stderr);
    assert.equal(r.stdout, 'through\n');
    assert.equal(r.stderr, 'err\n');
    box.ok(['run', '--name', 'nolog', '--log-driver', 'none', IMG, 'echo', 'unlogged']);
    const logs = box.run(['logs', 'nolog']);
    assert.equal(logs.code, 125);
    assert.match(logs.stderr, /"none" log driver, cannot read back logs/);
    box.ok(['rm', 'nolog']);
  });

  test('passes stdin with -i and closes it at its end', () => {
    const r = box.run(['run', '--rm', '-i', IMG, 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'line one\nline two\ndone\n');
  });

  test('builds the process from the image and the flags', () => {
    const out = box.ok([
      'run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', '1:1', '--hostname', 'box1', '--name', 'envcheck', IMG,
      'sh', '-c', 'echo $FOO; pwd; id -u; id -g; hostname; cat /etc/hostname; echo $HOSTNAME; echo $PATH; echo $container',
    ]);
    assert.equal(out, 'bar\n/tmp\n1\n1\nbox1\nbox1\nbox1\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\npodman\n');
    const env = box.ok(['run', '--rm', IMG, 'sh', '-c', 'cat /run/.containerenv; grep -c "127.0.0.1" /etc/hosts; echo $HOME']);
    assert.match(env, /^engine="tspod-[\d.]+"\nname="[a-z]+_[a-z]+"\nid="[0-9a-f]{64}"\nimage="localhost\/tspod-test\/busybox:latest"\n/);
    assert.match(env, /\n\/root\n$/);
  });

  test('-e NAME passes tspod\'s own NODE_EXTRA_CA_CERTS, which the launcher keeps from Node\'s start-up only', () => {
    const r = spawnSync(TSPOD, [...box.globalArgs, 'run', '--rm', '-e', 'NODE_EXTRA_CA_CERTS', IMG, 'sh', '-c', 'echo $NODE_EXTRA_CA_CERTS'], {
      env: { ...box.env, NODE_EXTRA_CA_CERTS: '/no/such/bundle.pem' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '/no/such/bundle.pem\n');
    // Node, had it read the variable, would warn that it could not load the file.
    assert.equal(r.stderr, '');
  });

  test('applies podman\'s default security: capabilities, masked paths, seccomp, read-only /sys', () => {
    const out = box.ok(['run', '--rm', IMG, 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status; cat /proc/kcore | wc -c; touch /sys/x 2>&1 | head -1; ls /dev | tr "\\n" " "']);
    assert.match(out, /CapEff:\s+00000000800405fb\n/, 'the 11 default capabilities');
    assert.match(out, /Seccomp:\s+2\n/, 'a seccomp filter is installed');
    assert.match(out, /\n0\n/, '/proc/kcore is masked');
    assert.match(out, /Read-only file system/);
    for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'mqueue']) assert.match(out, new RegExp(`\\b${dev}\\b`));
    const privileged = box.ok(['run', '--rm', '--privileged', IMG, 'grep', '-E', '^(CapEff|Seccomp):', '/proc/self/status']);
    assert.match(privileged, /Seccomp:\s+0\n/);
    const dropped = box.ok(['run', '--rm', '--cap-drop', 'all', '--cap-add', 'chown', IMG, 'grep', '^CapEff:', '/proc/self/status']);
    assert.match(dropped, /CapEff:\s+0000000000000001\n/);
  });

  test('bind mounts with ro, tmpfs, read-only root and --init', () => {
    const dir = box.path('bind');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'in.txt'), 'from host\n');
    const out = box.ok([
      'run', '--rm', '-v', `${dir}:/data`, '-v', `${dir}:/ro:ro`, '--tmpfs', '/scratch', '--read-only', '--init', IMG,
      'sh', '-c', 'cat /data/in.txt; echo written > /data/out.txt; touch /ro/x 2>/dev/null || echo ro-refused; touch /scratch/ok && echo tmpfs-ok; touch /etc/x 2>/dev/null || echo root-ro; cat /proc/1/cmdline | tr "\\0" " "',
    ]);
    assert.equal(out, 'from host\nro-refused\ntmpfs-ok\nroot-ro\n/run/podman-init -- sh -c cat /data/in.txt; echo written > /data/out.txt; touch /ro/x 2>/dev/null || echo ro-refused; touch /scratch/ok && echo tmpfs-ok; touch /etc/x 2>/dev/null || echo root-ro; cat /proc/1/cmdline | tr "\\0" " " ');
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'written\n');
  });

  test('resource flags reach the cgroup', () => {
    const out = box.ok(['run', '--rm', '--memory', '64m', '--pids-limit', '50', '--cpu-shares', '512', IMG, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.shares']);
    assert.equal(out, `${64 * 1024 * 1024}\n50\n512\n`);
    const ulimit = box.ok(['run', '--rm', '--ulimit', 'nofile=1000:2000', IMG, 'sh', '-c', 'ulimit -n; ulimit -Hn']);
    assert.equal(ulimit, '1000\n2000\n');
  });

  test('--device gives a host device with its cgroup permissions; --sysctl sets namespaced ones only', () => {
    const out = box.ok(['run', '--rm', '--network', 'none', '--device', '/dev/fuse:/dev/myfuse:r', '--sysctl', 'net.ipv4.ip_forward=1', IMG, 'sh', '-c', 'test -c /dev/myfuse && echo device; cat /proc/sys/net/ipv4/ip_forward; (exec 3>/dev/myfuse) 2>/dev/null || echo write-refused']);
    assert.equal(out, 'device\n1\nwrite-refused\n');
    const refused = box.run(['run', '--rm', '--sysctl', 'kernel.hostname=x', IMG, 'true']);
    assert.equal(refused.code, 125);
    assert.match(refused.stderr, /^Error: sysctl "kernel.hostname" is not allowed: only namespaced ones/);
    const hostNet = box.run(['run', '--rm', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', IMG, 'true']);
    assert.equal(hostNet.stderr.trim(), "Error: sysctl net.ipv4.ip_forward=1 can't be set since Network Namespace set to host: remove it or use a bridge network");
    assert.match(box.run(['run', '--rm', '--device', '/dev/nonexistent', IMG, 'true']).stderr, /^Error: device \/dev\/nonexistent does not exist on the host/);
  });

  test('a container never inherits the descriptors tspod inherited', async () => {
    // fd 5 is open (not close-on-exec) in tspod: a runtime that passed it on would show it in the container.
    const child = spawn(TSPOD, [...box.globalArgs, 'run', '--rm', IMG, 'ls', '/proc/self/fd'], {
      env: box.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0);
    assert.deepEqual(out.trim().split(/\s+/).sort(), ['0', '1', '2', '3']);
  });
});

describe('bad input: one clear line, podman\'s exit codes', { timeout: 120_000 }, () => {
  const cases: Array<{ args: string[]; code: number; stderr: RegExp }> = [
    { args: ['run', '--rm', 'localhost/nothere:latest', 'true'], code: 125, stderr: /^Trying to pull localhost\/nothere:latest...\nError: initializing source docker:\/\/localhost\/nothere:latest: pinging container registry localhost: connection refused/ },
    { args: ['run', '--rm', '-v', ':/x', IMG, 'true'], code: 125, stderr: /^Error: invalid volume ":\/x": host directory cannot be empty\n$/ },
    { args: ['run', '--rm', '-v', '/no/such/dir:/x', IMG, 'true'], code: 125, stderr: /^Error: invalid volume .*does not exist: create it first\n$/ },
    { args: ['run', '--bogus', IMG, 'true'], code: 125, stderr: /^Error: unknown option '--bogus'\nSee 'tspod run --help'\n$/ },
    { args: ['run', '--rm', IMG, 'nothere'], code: 127, stderr: /^Error: runc: .*executable file not found in \$PATH: OCI runtime attempted to invoke a command that was not found\n$/ },
    { args: ['run', '--rm', IMG, '/etc/passwd'], code: 126, stderr: /^Error: runc: .*permission denied: OCI permission denied\n$/ },
    { args: ['run', '--rm', '-u', 'nobody2', IMG, 'true'], code: 126, stderr: /^Error: unable to find user nobody2: no matching entries in passwd file\n$/ },
    { args: ['run', '--rm', '--restart', 'always', IMG, 'true'], code: 125, stderr: /conflicts with --restart/ },
    { args: ['run', '--rm', '--cgroups', 'disabled', IMG, 'true'], code: 125, stderr: /^Error: --cgroups=disabled needs crun: runc always puts a container in a cgroup/ },
    { args: ['run', '-d', '--log-driver', 'passthrough', IMG, 'true'], code: 125, stderr: /cannot be used with --detach/ },
    { args: ['run', '--rm', '--pull', 'always', IMG, 'true'], code: 125, stderr: /^Trying to pull localhost\/tspod-test\/busybox:latest...\nError: initializing source docker:\/\/localhost\/tspod-test\/busybox:latest: pinging container registry localhost/ },
    { args: ['stop', 'nothere'], code: 125, stderr: /^Error: no container with name or ID "nothere" found: no such container\n$/ },
    { args: ['rm', 'nothere'], code: 1, stderr: /^Error: no container with name or ID "nothere" found: no such container\n$/ },
    { args: ['exec', 'nothere', 'true'], code: 125, stderr: /^Error: no container with name or ID "nothere" found: no such container\n$/ },
    { args: ['stop'], code: 125, stderr: /^Error: you must provide at least one name or id\n$/ },
  ];
  for (const c of cases) {
    test(c.args.join(' '), () => {
      const r = box.run(c.args);
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('a failed run --rm leaves no container, mount or conmon behind', () => {
    assert.equal(box.ok(['ps', '-aq']), '');
    assert.deepEqual(leftovers(), { mounts: [], conmons: [], runtimeState: [] });
  });

  test('name in use, stopping a stopped container, exec into a stopped one', () => {
    box.ok(['create', '--name', 'dup', IMG, 'true']);
    const dup = box.run(['create', '--name', 'dup', IMG, 'true']);
    assert.equal(dup.code, 125);
    assert.match(dup.stderr, /^Error: the container name "dup" is already in use by [0-9a-f]{64}\. You have to remove that container to be able to reuse that name: that name is already in use\n$/);
    assert.equal(box.ok(['stop', 'dup']), 'dup\n', 'podman stops a stopped container quietly');
    const exec = box.run(['exec', 'dup', 'true']);
    assert.equal(exec.code, 255);
    assert.equal(exec.stderr, 'Error: can only create exec sessions on running containers: container state improper\n');
    box.ok(['rm', 'dup']);
  });
});

describe('a detached container', { timeout: 120_000 }, () => {
  test('run -d, ps, logs, exec, stop, rm as podman shows them', () => {
    const id = box.ok(['run', '-d', '--name', 'web', IMG, 'sh', '-c', 'echo started; exec httpd -f -p 8080']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = box.ok(['ps', '--filter', 'name=^web$']);
    const [header, row] = ps.split('\n');
    assert.match(header!, /^CONTAINER ID  IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    assert.match(row!, new RegExp(`^${id.slice(0, 12)}  localhost/tspod-test/busybox:latest  sh -c echo starte\\.\\.\\.  .+ ago  Up .+ ago  +web$`));
    assert.equal(box.ok(['ps', '-q', '--no-trunc', '--filter', 'name=^web$']), `${id}\n`);
    assert.match(box.ok(['ps', '--filter', 'name=^web$', '--format', '{{.Names}} {{.State}}']), /^web Up .* ago\n$/);
    assert.equal(box.ok(['logs', 'web']), 'started\n');
    assert.match(box.ok(['logs', '-t', 'web']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-Z][\d:]* started\n$/);
    assert.equal(box.run(['exec', 'web', 'sh', '-c', 'exit 7']).code, 7);
    assert.equal(box.ok(['exec', '-e', 'X=1', '-w', '/etc', 'web', 'sh', '-c', 'echo $X $(pwd)']), '1 /etc\n');
    assert.match(box.ok(['exec', 'web', 'ps']), /1 root +httpd -f -p 8080/);
    assert.match(box.ok(['top', 'web']), /^USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND\nroot .*httpd -f -p 8080\n/);
    assert.equal(box.ok(['container', 'exists', 'web']), '');
    assert.equal(box.run(['container', 'exists', 'nothere']).code, 1);
    const stop = box.run(['stop', '-t', '1', 'web']);
    assert.equal(stop.stdout, 'web\n');
    assert.match(stop.stderr, /StopSignal SIGTERM failed to stop container web in 1 seconds, resorting to SIGKILL/);
    assert.match(box.ok(['ps', '-a', '--filter', 'name=^web$', '--format', '{{.Status}}']), /^Exited \(137\) .* ago\n$/);
    assert.equal(box.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', 'web']), 'exited 137 false\n');
    assert.equal(box.ok(['start', 'web']), 'web\n');
    assert.equal(box.ok(['inspect', '--format', '{{.State.Status}}', 'web']), 'running\n');
    const rmRunning = box.run(['rm', 'web']);
    assert.equal(rmRunning.code, 2);
    assert.match(rmRunning.stderr, /cannot remove container [0-9a-f]{64} as it is running - running or paused containers cannot be removed without force: container state improper/);
    assert.equal(box.ok(['rm', '-f', '-t', '0', 'web']), 'web\n');
    assert.equal(box.ok(['ps', '-aq', '--filter', 'name=^web$']), '');
  });

  test('inspect has podman\'s keys', () => {
    box.ok(['run', '-d', '--name', 'insp', '--label', 'a=b', IMG, 'sleep', '1000']);
    const [info] = JSON.parse(box.ok(['container', 'inspect', 'insp'])) as Array<Record<string, any>>;
    assert.deepEqual(Object.keys(info!).slice(0, 12), ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ImageDigest', 'ImageName', 'Rootfs', 'Pod', 'ResolvConfPath', 'HostnamePath']);
    for (const key of ['Config', 'HostConfig', 'GraphDriver', 'Mounts', 'NetworkSettings', 'EffectiveCaps', 'OCIRuntime', 'ConmonPidFile']) assert.ok(key in info!, key);
    assert.equal(info!.Path, 'sleep');
    assert.deepEqual(info!.Args, ['1000']);
    assert.equal(info!.State.Running, true);
    assert.ok(processAlive(info!.State.Pid));
    assert.ok(processAlive(info!.State.ConmonPid));
    assert.deepEqual(info!.Config.Labels, { a: 'b' });
    assert.equal(info!.Config.StopSignal, 15);
    assert.equal(info!.HostConfig.NetworkMode, 'bridge');
    assert.equal(info!.OCIRuntime, 'runc');
    assert.equal(box.ok(['inspect', '--format', '{{.Name}}', 'insp']), 'insp\n');
    box.ok(['rm', '-f', '-t', '0', 'insp']);
  });

  test('pause, unpause, kill -s, restart, rename, wait, init', () => {
    // With --init, sleep is not pid 1, so signals without a handler kill it.
    box.ok(['run', '-d', '--init', '--name', 'life', IMG, 'sleep', '1000']);
    box.ok(['pause', 'life']);
    assert.equal(box.ok(['ps', '-a', '--filter', 'name=^life$', '--format', '{{.Status}}']), 'Paused\n');
    assert.equal(box.ok(['ps', '--filter', 'name=^life$']).split('\n').length, 2, 'ps without -a shows no paused container');
    assert.equal(box.run(['pause', 'life']).code, 125);
    box.ok(['unpause', 'life']);
    box.ok(['rename', 'life', 'life2']);
    assert.equal(box.ok(['ps', '--filter', 'name=^life', '--format', '{{.Names}}']), 'life2\n');
    box.ok(['restart', '-t', '0', 'life2']);
    assert.equal(box.ok(['inspect', '--format', '{{.State.Status}}', 'life2']), 'running\n');
    box.ok(['kill', '-s', 'USR1', 'life2']);
    assert.equal(box.ok(['wait', 'life2']), '138\n', 'sleep dies of SIGUSR1: catatonit exits 128+10');
    assert.equal(box.run(['kill', 'life2']).code, 125);
    box.ok(['create', '--name', 'attached', IMG, 'sh', '-c', 'echo from-start; exit 9']);
    const started = box.run(['start', '-a', 'attached']);
    assert.equal(started.code, 9);
    assert.equal(started.stdout, 'from-start\n');
    box.ok(['rm', 'attached']);
    box.ok(['create', '--name', 'ini', IMG, 'true']);
    box.ok(['init', 'ini']);
    assert.equal(box.ok(['inspect', '--format', '{{.State.Status}}', 'ini']), 'initialized\n');
    box.ok(['start', 'ini']);
    assert.equal(box.ok(['wait', 'ini']), '0\n');
    box.ok(['rm', '-f', '-t', '0', 'life2']);
    const iniId = box.ok(['inspect', '--format', '{{.Id}}', 'ini']).trim();
    assert.ok(box.ok(['container', 'prune', '-f']).split('\n').includes(iniId));
    assert.equal(box.run(['container', 'exists', 'ini']).code, 1, 'prune removed the exited container');
  });

  test('logs --tail, --since and -f until the container exits', async () => {
    const dir = box.path('gate');
    mkdirSync(dir, { recursive: true });
    box.ok(['run', '-d', '--name', 'talker', '-v', `${dir}:/gate`, IMG, 'sh', '-c', 'for i in 1 2 3; do echo line$i; done; while [ ! -e /gate/go ]; do usleep 10000; done; echo last']);
    assert.equal(box.ok(['wait', '--condition', 'running', 'talker']), '0\n');
    const follower = box.runAsync(['logs', '-f', 'talker']);
    await until('the first lines in the log', () => box.ok(['logs', 'talker']).includes('line3'));
    writeFileSync(join(dir, 'go'), '');
    const followed = await follower;
    assert.equal(followed.stdout, 'line1\nline2\nline3\nlast\n');
    assert.equal(box.ok(['logs', '--tail', '2', 'talker']), 'line3\nlast\n');
    assert.equal(box.ok(['logs', '--since', '2000-01-01', 'talker']), 'line1\nline2\nline3\nlast\n');
    assert.equal(box.ok(['logs', '--until', '2000-01-01', 'talker']), '');
    box.ok(['rm', 'talker']);
  });

  test('restart policy on-failure is honoured with no daemon', async () => {
    const dir = box.path('restarts');
    mkdirSync(dir, { recursive: true });
    box.ok(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', '-v', `${dir}:/r`, IMG, 'sh', '-c', 'echo x >> /r/count; exit 1']);
    await until('two restarts', () => existsSync(join(dir, 'count')) && readFileSync(join(dir, 'count'), 'utf8') === 'x\nx\nx\n');
    await until('the last run recorded', () => box.ok(['inspect', '--format', '{{.State.Status}}', 'flaky']) === 'exited\n');
    assert.equal(box.ok(['inspect', '--format', '{{.RestartCount}} {{.State.ExitCode}}', 'flaky']), '2 1\n');
    box.ok(['rm', 'flaky']);
  });
});

describe('daemonless', { timeout: 120_000 }, () => {
  test('a container outlives a SIGKILLed tspod and the next ps sees it right', async () => {
    const dir = box.path('outlive');
    mkdirSync(dir, { recursive: true });
    const child = spawn(TSPOD, [...box.globalArgs, 'run', '--name', 'orphan', '-v', `${dir}:/gate`, IMG, 'sh', '-c', 'while [ ! -e /gate/go ]; do usleep 10000; done; exit 4'], {
      env: box.env,
      stdio: 'ignore',
    });
    await until('the container running', () => box.run(['ps', '--filter', 'name=^orphan$', '--format', '{{.Names}}']).stdout === 'orphan\n');
    // The launcher execs node, so the child's pid is tspod itself.
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const pid = Number(box.ok(['inspect', '--format', '{{.State.Pid}}', 'orphan']).trim());
    assert.ok(processAlive(pid), 'the container survived its tspod');
    assert.equal(box.ok(['inspect', '--format', '{{.Name}} {{.State.Status}}', 'orphan']), 'orphan running\n');
    writeFileSync(join(dir, 'go'), '');
    await until('the container process gone', () => !processAlive(pid));
    await until('conmon recorded the exit', () => box.ok(['ps', '-a', '--filter', 'name=^orphan$', '--format', '{{.Status}}']).startsWith('Exited (4)'));
    assert.equal(box.ok(['wait', 'orphan']), '4\n');
    box.ok(['rm', 'orphan']);
  });

  test('a start whose tspod died before recording it is replaced cleanly by the next start', async () => {
    box.ok(['run', '-d', '--name', 'halfstarted', IMG, 'sleep', '1000']);
    const [oldPid, oldConmon] = box.ok(['inspect', '--format', '{{.State.Pid}} {{.State.ConmonPid}}', 'halfstarted']).trim().split(' ').map(Number);
    // What a SIGKILL between conmon's start and the state update leaves: the runtime runs it, the record says created.
    const { createRequire } = await import('node:module');
    const Sqlite = createRequire(import.meta.url)('better-sqlite3');
    const db = new Sqlite(box.path('root', 'tspod', 'state.db'));
    const row = db.prepare("SELECT id, state FROM containers WHERE name = 'halfstarted'").get() as { id: string; state: string };
    db.prepare('UPDATE containers SET state = ? WHERE id = ?').run(JSON.stringify({ ...JSON.parse(row.state), status: 'created', pid: 0, conmonPid: 0 }), row.id);
    db.close();
    assert.equal(box.ok(['start', 'halfstarted']), 'halfstarted\n');
    assert.ok(!processAlive(oldPid!), 'the unrecorded run was ended');
    const newPid = Number(box.ok(['inspect', '--format', '{{.State.Pid}}', 'halfstarted']).trim());
    assert.ok(processAlive(newPid));
    assert.equal(box.ok(['inspect', '--format', '{{.State.Status}}', 'halfstarted']), 'running\n');
    assert.equal(leftovers().conmons.length, 1);
    box.ok(['rm', '-f', '-t', '0', 'halfstarted']);
    // Both conmons (the unrecorded run's and the new one) finish their exit commands after rm returns.
    await until('the conmons to finish their exit commands', () => !processAlive(oldConmon!) && leftovers().conmons.length === 0);
    assert.deepEqual(leftovers(), { mounts: [], conmons: [], runtimeState: [] });
  });

  test('signals to an attached run reach the container (--sig-proxy)', async () => {
    const child = spawn(TSPOD, [...box.globalArgs, 'run', '--rm', '--name', 'proxied', IMG, 'sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while true; do usleep 10000; done'], {
      env: box.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('the trap set in the container', () => out === 'ready\n');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 42);
    assert.equal(out, 'ready\ngot-term\n');
    assert.equal(box.run(['container', 'exists', 'proxied']).code, 1, '--rm removed it');
  });

  test('50 concurrent run -d all succeed with unique names; rm -fa leaves nothing', async () => {
    box.run(['rm', '-fa', '-t', '0']);
    const results = await Promise.all(Array.from({ length: 50 }, () => box.runAsync(['run', '-d', IMG, 'sleep', '1000'])));
    const failures = results.filter((r) => r.code !== 0);
    assert.deepEqual(failures.map((f) => f.stderr), []);
    const ids = new Set(results.map((r) => r.stdout.trim()));
    assert.equal(ids.size, 50);
    const names = box.ok(['ps', '--format', '{{.Names}}']).trim().split('\n');
    assert.equal(names.length, 50);
    assert.equal(new Set(names).size, 50, 'unique names');
    assert.equal(leftovers().conmons.length, 50);
    const rm = box.run(['rm', '-fa', '-t', '0']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout.trim().split('\n').length, 50);
    assert.equal(box.ok(['ps', '-aq']), '');
    // Each conmon ends once its exit command has seen the container gone.
    await until('the conmons to finish their exit commands', () => leftovers().conmons.length === 0);
    assert.deepEqual(leftovers(), { mounts: [], conmons: [], runtimeState: [] });
  });

  test('rmi refuses an image in use (exit 2) and -f removes its containers first', () => {
    box.ok(['tag', IMG, 'localhost/inuse:latest']);
    box.ok(['create', '--name', 'user1', 'localhost/inuse:latest', 'true']);
    box.ok(['untag', IMG, 'localhost/tspod-test/busybox:latest']);
    const refused = box.run(['rmi', 'localhost/inuse:latest']);
    assert.equal(refused.code, 2, refused.stderr);
    const forced = box.run(['rmi', '-f', 'localhost/inuse:latest']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(box.ok(['ps', '-aq']), '');
    box.ok(['load', '-i', fx.busybox.ociArchive]);
  });
});

describe('terminal', { timeout: 120_000 }, () => {
  /** Drives tspod in a real pty (python's pty module) and returns what the terminal showed. */
  function inPty(args: string[], script: string): { code: number; output: string } {
    const driver = `
import os, pty, sys, time, select, struct, fcntl, termios, json
args = json.loads(sys.argv[1])
steps = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 99, 0, 0))
    os.execvpe(args[0], args, os.environ)
out = b''
def read_until(token, limit=20):
    global out
    end = time.time() + limit
    while token.encode() not in out:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r: raise SystemExit('timeout waiting for %r in %r' % (token, out))
        try: chunk = os.read(fd, 4096)
        except OSError: raise SystemExit('eof waiting for %r in %r' % (token, out))
        if not chunk: raise SystemExit('eof waiting for %r' % token)
        out += chunk
for kind, value in steps:
    if kind == 'expect': read_until(value)
    else: os.write(fd, value.encode('latin-1'))
while True:
    try: chunk = os.read(fd, 4096)
    except OSError: break
    if not chunk: break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'code': os.waitstatus_to_exitcode(status), 'output': out.decode('utf-8', 'replace')}))
`;
    const r = spawnSync('python3', ['-c', driver, JSON.stringify([TSPOD, ...box.globalArgs, ...args]), script], { env: box.env, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`pty driver failed: ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as { code: number; output: string };
  }

  test('run -it gives a real terminal with the window size, and the exit code', () => {
    const steps = JSON.stringify([
      ['expect', '# '],
      ['send', 'tty; stty size; echo "term=$TERM"\n'],
      ['expect', 'term=xterm'],
      ['send', 'exit 5\n'],
    ]);
    const r = inPty(['run', '--rm', '-it', IMG, 'sh'], steps);
    assert.equal(r.code, 5);
    assert.match(r.output, /\/dev\/pts\/0/);
    assert.match(r.output, /33 99/);
  });

  test('Ctrl-P Ctrl-Q detaches and leaves the container running; exec -it works', () => {
    const steps = JSON.stringify([
      ['expect', '# '],
      ['send', '\x10\x11'],
    ]);
    const r = inPty(['run', '-it', '--name', 'detachme', IMG, 'sh'], steps);
    assert.equal(r.code, 0);
    assert.equal(box.ok(['inspect', '--format', '{{.Name}} {{.State.Status}}', 'detachme']), 'detachme running\n');
    const attach = inPty(['attach', 'detachme'], JSON.stringify([['send', 'echo again-$((40+2))\n'], ['expect', 'again-42'], ['send', '\x10\x11']]));
    assert.equal(attach.code, 0);
    assert.equal(box.ok(['inspect', '--format', '{{.State.Status}}', 'detachme']), 'running\n');
    const exec = inPty(['exec', '-it', 'detachme', 'sh'], JSON.stringify([['expect', '# '], ['send', 'tty; exit 3\n']]));
    assert.equal(exec.code, 3);
    assert.match(exec.output, /\/dev\/pts\/\d+/);
    box.ok(['rm', '-f', '-t', '0', 'detachme']);
  });
});
