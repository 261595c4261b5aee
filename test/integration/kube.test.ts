import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PersistentVolumeClaim, Pod, Service } from 'kubernetes-models/v1';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Sandbox, fixturesDir, freePort, httpGet } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('kube');
const IMG = 'localhost/tspod-test/busybox:latest';
const ID = /^[0-9a-f]{64}$/;

before(async () => {
  await buildFixtures(fixturesDir());
  box.ok(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
});

after(() => {
  box.run(['pod', 'rm', '-fa', '-t', '0']);
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

type KubeObject = Record<string, any>;

function documents(text: string): KubeObject[] {
  return parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as KubeObject;
  });
}

/** Every generated object against the Kubernetes OpenAPI schema of its kind (throws on a violation). */
function validate(obj: KubeObject): void {
  const models: Record<string, new (o: KubeObject) => { validate(): void }> = {
    Pod, Service, PersistentVolumeClaim, Deployment, DaemonSet, Job,
  };
  const Model = models[obj.kind];
  assert.ok(Model, `unexpected kind ${obj.kind}`);
  new Model(obj).validate();
}

function writeYaml(name: string, text: string): string {
  const path = box.path(name);
  writeFileSync(path, text);
  return path;
}

/** Nothing of any kind exists in the sandbox. */
function assertNothingCreated(): void {
  assert.equal(box.ok(['pod', 'ps', '-q']), '');
  assert.equal(box.ok(['ps', '-aq']), '');
  assert.equal(box.ok(['volume', 'ls', '-q']), '');
  assert.equal(box.ok(['secret', 'ls', '--format', '{{.Name}}']), '');
}

const playOutput = (containers: number) =>
  new RegExp(`^Pod:\\n[0-9a-f]{64}\\n${containers === 1 ? 'Container' : 'Containers'}:\\n(?:[0-9a-f]{64}\\n){${containers}}\\n$`);

describe('bad input creates nothing', () => {
  const workload = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: early-claim
---
apiVersion: v1
kind: Secret
metadata:
  name: early-secret
stringData:
  key: value
---
apiVersion: v1
kind: Pod
metadata:
  name: first
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: ${IMG}
    command: [sleep, "100"]
`;

  const cases: Array<[string, string, RegExp]> = [
    ['broken YAML', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n spec: [\n', /^Error: .*bad\.yaml document 1: .+: fix the YAML\n$/],
    ['an unknown kind', `${workload}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n`, /^Error: .*bad\.yaml document 4 \(Namespace "ns"\): kind: kind "Namespace" is not supported: use Pod, .+\n$/],
    [
      'a field of the wrong type',
      `${workload}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: second\nspec:\n  containers:\n  - name: c\n    image: ${IMG}\n    ports:\n    - containerPort: eighty\n`,
      /^Error: .*bad\.yaml document 4 \(Pod "second"\): spec\.containers\[0\]\.ports\[0\]\.containerPort: expected an integer, got the string "eighty": .+\n$/,
    ],
    [
      'a missing required field',
      `${workload}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dep\nspec:\n  selector: {}\n`,
      /^Error: .*bad\.yaml document 4 \(Deployment "dep"\): spec\.template: is required: .+\n$/,
    ],
    [
      // Found only while creating: what was made before (volume, secret, the first pod) is removed again.
      'a host path that is missing when the second pod is made',
      `${workload}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: second\nspec:\n  containers:\n  - name: c\n    image: ${IMG}\n    command: [sleep, "100"]\n    volumeMounts:\n    - name: h\n      mountPath: /h\n  volumes:\n  - name: h\n    hostPath:\n      path: ${box.path('no-such-dir')}\n      type: Directory\n`,
      /^Error: .*bad\.yaml document 4 \(Pod "second"\): spec\.volumes\[0\]\.hostPath\.path: host path ".*no-such-dir" does not exist: .+\n$/,
    ],
  ];
  for (const [what, yaml, message] of cases) {
    test(`${what}: one error line, exit 125`, () => {
      const file = writeYaml('bad.yaml', yaml);
      const r = box.run(['kube', 'play', file]);
      assert.equal(r.code, 125, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assertNothingCreated();
    });
  }
});

describe('generate kube', () => {
  test('a pod with ports, env and volumes becomes a valid Pod (and Service, Deployment, DaemonSet, Job)', async () => {
    const port = await freePort();
    const hostDir = box.path('gen-host');
    mkdirSync(hostDir, { recursive: true });
    box.ok(['volume', 'create', 'gen-data']);
    box.ok(['pod', 'create', '--name', 'gen-pod', '-p', `${port}:80`, '--label', 'tier=web']);
    box.ok([
      'create', '--pod', 'gen-pod', '--name', 'gen-web', '-e', 'GREETING=hello', '-v', 'gen-data:/data', '-v', `${hostDir}:/host:ro`,
      '--memory', '64m', '--cpus', '0.5', '--cap-add', 'NET_ADMIN', '-w', '/data', IMG, 'httpd', '-f', '-p', '80',
    ]);
    const text = box.ok(['generate', 'kube', 'gen-pod']);
    assert.match(text, /^# Save the output of this file and use kubectl create -f to import\n# it into Kubernetes\.\n#\n# Created with tspod-\S+\n/);
    const [pod, ...rest] = documents(text);
    assert.equal(rest.length, 0);
    validate(pod!);
    assert.equal(pod!.kind, 'Pod');
    assert.equal(pod!.metadata.name, 'gen-pod');
    assert.deepEqual(pod!.metadata.labels, { app: 'gen-pod', tier: 'web' });
    const [ctr] = pod!.spec.containers;
    assert.equal(ctr.name, 'gen-web');
    assert.equal(ctr.image, IMG);
    assert.deepEqual(ctr.command, ['httpd', '-f', '-p', '80']);
    assert.deepEqual(ctr.env, [{ name: 'GREETING', value: 'hello' }]);
    assert.deepEqual(ctr.ports, [{ containerPort: 80, hostPort: port }]);
    assert.equal(ctr.workingDir, '/data');
    assert.deepEqual(ctr.resources, { limits: { cpu: '500m', memory: '64Mi' } });
    assert.deepEqual(ctr.securityContext, { capabilities: { add: ['CAP_NET_ADMIN'] } });
    const hostVolume = `${hostDir.slice(1).replaceAll('/', '-').replaceAll('.', '-').replaceAll('_', '-').toLowerCase()}-host-0`;
    assert.deepEqual(ctr.volumeMounts, [
      { mountPath: '/host', name: hostVolume, readOnly: true },
      { mountPath: '/data', name: 'gen-data-pvc' },
    ]);
    assert.deepEqual(pod!.spec.volumes, [
      { hostPath: { path: hostDir, type: 'Directory' }, name: hostVolume },
      { name: 'gen-data-pvc', persistentVolumeClaim: { claimName: 'gen-data' } },
    ]);

    // --service: a NodePort Service first, and the pod's ports without hostPort.
    const [svc, svcPod] = documents(box.ok(['kube', 'generate', '--service', 'gen-pod']));
    validate(svc!);
    validate(svcPod!);
    assert.equal(svc!.kind, 'Service');
    assert.equal(svc!.spec.type, 'NodePort');
    assert.deepEqual(svc!.spec.selector, { app: 'gen-pod' });
    assert.equal(svc!.spec.ports[0].port, 80);
    assert.ok(svc!.spec.ports[0].nodePort >= 30000 && svc!.spec.ports[0].nodePort <= 32767);
    assert.deepEqual(svcPod!.spec.containers[0].ports, [{ containerPort: 80 }]);

    for (const [type, kind, name] of [['deployment', 'Deployment', 'gen-pod-deployment'], ['daemonset', 'DaemonSet', 'gen-pod-daemonset'], ['job', 'Job', 'gen-pod-job']]) {
      const [obj] = documents(box.ok(['generate', 'kube', '--type', type!, 'gen-pod']));
      validate(obj!);
      assert.equal(obj!.kind, kind);
      assert.equal(obj!.metadata.name, name);
      assert.equal(obj!.spec.template.spec.containers[0].name, 'gen-web');
    }
    const [dep] = documents(box.ok(['generate', 'kube', '--type', 'deployment', '--replicas', '3', 'gen-pod']));
    assert.equal(dep!.spec.replicas, 3);
    assert.deepEqual(dep!.spec.selector, { matchLabels: { app: 'gen-pod' } });
    const refused = box.run(['generate', 'kube', '--type', 'job', '--replicas', '3', 'gen-pod']);
    assert.equal(refused.code, 125);
    assert.equal(refused.stderr, 'Error: --replicas can only be set when --type is set to deployment\n');

    // A volume alone is a PersistentVolumeClaim; a container alone is wrapped in a pod named after it.
    const [pvc] = documents(box.ok(['generate', 'kube', 'gen-data']));
    validate(pvc!);
    assert.equal(pvc!.metadata.name, 'gen-data');
    box.ok(['create', '--name', 'solo', '-p', `${port + 1}:8080`, IMG, 'sleep', '100']);
    const [solo] = documents(box.ok(['generate', 'kube', 'solo']));
    validate(solo!);
    assert.equal(solo!.metadata.name, 'solo-pod');
    assert.deepEqual(solo!.spec.containers[0].ports, [{ containerPort: 8080, hostPort: port + 1 }]);

    // -f writes the file and never replaces one.
    const out = box.path('gen.yaml');
    assert.equal(box.ok(['generate', 'kube', '-f', out, 'gen-pod']), '');
    assert.equal(documents(readFileSync(out, 'utf8'))[0]!.metadata.name, 'gen-pod');
    const again = box.run(['generate', 'kube', '-f', out, 'gen-pod']);
    assert.equal(again.code, 125);
    assert.match(again.stderr, /^Error: cannot write to ".*gen\.yaml": file exists: .+\n$/);

    const missing = box.run(['generate', 'kube', 'nothing-here']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /^Error: name or ID "nothing-here" not found: .+\n$/);

    box.ok(['pod', 'rm', '-f', '-t', '0', 'gen-pod']);
    box.ok(['rm', '-f', 'solo']);
    box.ok(['volume', 'rm', 'gen-data']);
  });
});

describe('the seed scenario: generate, down, play', () => {
  test('the played pod has the same containers, ports and volumes, and its web server answers', async () => {
    const port = await freePort();
    const hostDir = box.path('seed-host');
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, 'note.txt'), 'from the host\n');
    box.ok(['pod', 'create', '--name', 'my-pod', '-p', `${port}:80`]);
    box.ok([
      'run', '-d', '--pod', 'my-pod', '--name', 'web', '--restart', 'always', '--stop-timeout', '1', '-e', 'GREETING=hi', '-v', 'site:/www', '-v', `${hostDir}:/host:ro`,
      IMG, 'sh', '-c', 'echo "served from the volume" > /www/index.html && exec httpd -f -p 80 -h /www',
    ]);
    const before = box.ok(['generate', 'kube', 'my-pod']);
    const file = writeYaml('my-pod.yaml', before);
    for (const doc of documents(before)) validate(doc);

    const down = box.run(['kube', 'down', file]);
    assert.equal(down.code, 0, down.stderr);
    const podId = /^Pods stopped:\n([0-9a-f]{64})\nPods removed:\n\1\nSecrets removed:\nVolumes removed:\n$/.exec(down.stdout);
    assert.ok(podId, down.stdout);
    assert.equal(box.ok(['pod', 'ps', '-q']), '');
    assert.equal(box.ok(['ps', '-aq']), '');
    assert.equal(box.ok(['volume', 'ls', '-q']), 'site\n', 'kube down keeps volumes without --force');

    const play = box.run(['play', 'kube', file]);
    assert.equal(play.code, 0, play.stderr);
    assert.match(play.stdout, playOutput(1));
    assert.equal(box.ok(['pod', 'inspect', '--format', '{{.Name}} {{.State}}', 'my-pod']), 'my-pod Running\n');
    const names = box.ok(['ps', '-a', '--pod', '--format', '{{.Names}} {{.PodName}} {{.Ports}}']).trim().split('\n').sort();
    assert.equal(names.length, 2);
    assert.match(names.join('\n'), new RegExp(`^my-pod-web my-pod 0\\.0\\.0\\.0:${port}->80/tcp$`, 'm'));
    const mounts = JSON.parse(box.ok(['container', 'inspect', '--format', '{{json .Mounts}}', 'my-pod-web'])) as KubeObject[];
    assert.deepEqual(
      mounts.map((m) => [m.Type, m.Name ?? m.Source, m.Destination, m.RW]).sort(),
      [['bind', hostDir, '/host', false], ['volume', 'site', '/www', true]],
    );
    assert.equal(box.ok(['exec', 'my-pod-web', 'sh', '-c', 'echo $GREETING; cat /host/note.txt']), 'hi\nfrom the host\n');

    let res = { status: 0, body: '' };
    for (let i = 0; i < 100 && res.status !== 200; i++) {
      res = await httpGet(port).catch(() => ({ status: 0, body: '' }));
      if (res.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(res.status, 200);
    assert.equal(res.body, 'served from the volume\n');

    // The played pod generates the same YAML, but for the container's new name.
    const strip = (text: string) => text.replace(/creationTimestamp: .*/g, '').replaceAll('my-pod-web', 'web');
    assert.equal(strip(box.ok(['generate', 'kube', 'my-pod'])), strip(before));

    box.ok(['kube', 'down', file]);
    box.ok(['volume', 'rm', 'site']);
  });
});

const MULTI = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: claim1
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  COLOR: blue
  app.conf: |
    size=3
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
data:
  password: c2VjcmV0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  replicas: 1
  selector:
    matchLabels:
      app: dep
  template:
    metadata:
      labels:
        app: dep
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: ${IMG}
        command: [sleep, "1000"]
        envFrom:
        - configMapRef:
            name: settings
        env:
        - name: PASSWORD
          valueFrom:
            secretKeyRef:
              name: creds
              key: password
        volumeMounts:
        - name: cfg
          mountPath: /etc/cfg
        - name: data
          mountPath: /claim
      volumes:
      - name: cfg
        configMap:
          name: settings
      - name: data
        persistentVolumeClaim:
          claimName: claim1
---
apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: task
        image: ${IMG}
        command: [sh, -c, "echo job done"]
`;

describe('play kube', () => {
  test('Deployment, Job, ConfigMap (env and volume), Secret and PersistentVolumeClaim', () => {
    const file = writeYaml('multi.yaml', MULTI);
    const r = box.run(['kube', 'play', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Volumes:\nclaim1\nSecrets:\n[0-9a-f]{25}\nPod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\nPod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/);
    assert.deepEqual(box.ok(['pod', 'ps', '--format', '{{.Name}}']).trim().split('\n').sort(), ['dep-pod', 'once-pod']);
    assert.equal(box.ok(['exec', 'dep-pod-main', 'sh', '-c', 'echo $COLOR $PASSWORD; cat /etc/cfg/app.conf; ls -d /claim']), 'blue secret\nsize=3\n/claim\n');
    assert.equal(box.ok(['wait', 'once-pod-task']), '0\n');
    assert.equal(box.ok(['logs', 'once-pod-task']), 'job done\n');
    assert.deepEqual(box.ok(['volume', 'ls', '-q']).trim().split('\n').sort(), ['claim1', 'settings']);
    assert.equal(box.ok(['secret', 'ls', '--format', '{{.Name}}']), 'creds\n');

    // --down removes pods and secrets; volumes only with --force.
    const down = box.run(['kube', 'play', '--down', '--force', file]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /^Pods stopped:\n(?:[0-9a-f]{64}\n){2}Pods removed:\n(?:[0-9a-f]{64}\n){2}Secrets removed:\n[0-9a-f]{25}\nVolumes removed:\nclaim1\nsettings\n$/);
    assertNothingCreated();
  });

  test('--start=false creates without starting; a second play is refused; --replace recreates; kube down is idempotent', () => {
    const file = writeYaml('simple.yaml', `apiVersion: v1
kind: Pod
metadata:
  name: simple
  labels:
    app: simple
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: one
    image: ${IMG}
    command: [sleep, "1000"]
  - name: two
    image: ${IMG}
    command: [sleep, "1000"]
`);
    const created = box.run(['kube', 'play', '--start=false', file]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, playOutput(2));
    const firstId = created.stdout.split('\n')[1]!;
    assert.deepEqual(box.ok(['ps', '-a', '--filter', 'pod=simple', '--format', '{{.Names}} {{.State}}']).toLowerCase().trim().split('\n').sort(), [
      `${firstId.slice(0, 12)}-infra created`, 'simple-one created', 'simple-two created',
    ]);

    const twice = box.run(['kube', 'play', file]);
    assert.equal(twice.code, 125);
    assert.match(twice.stderr, /^Error: .* is in use: pod already exists.*\n$/);

    const replaced = box.run(['play', 'kube', '--replace', file]);
    assert.equal(replaced.code, 0, replaced.stderr);
    const m = new RegExp(`^Pods stopped:\\n${firstId}\\nPods removed:\\n${firstId}\\nSecrets removed:\\nVolumes removed:\\nPod:\\n([0-9a-f]{64})\\nContainers:\\n`).exec(replaced.stdout);
    assert.ok(m, replaced.stdout);
    assert.notEqual(m[1], firstId);
    assert.equal(box.ok(['pod', 'inspect', '--format', '{{.State}}', 'simple']), 'Running\n');

    assert.equal(box.run(['kube', 'down', file]).code, 0);
    const again = box.run(['kube', 'down', file]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'Pods stopped:\nPods removed:\nSecrets removed:\nVolumes removed:\n');
    assertNothingCreated();
  });

  test('--publish, --configmap and --log-driver; the quadlet .kube unit runs the same commands', async () => {
    const port = await freePort();
    const cm = writeYaml('extra-cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  WORD: extra-word\n');
    const file = writeYaml('web.yaml', `apiVersion: v1
kind: Pod
metadata:
  name: quad
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: web
    image: ${IMG}
    command: [sh, -c, 'mkdir -p /www && echo "$WORD" > /www/index.html && exec httpd -f -p 80 -h /www']
    env:
    - name: WORD
      valueFrom:
        configMapKeyRef:
          name: extra
          key: WORD
    ports:
    - containerPort: 80
`);
    // The commands a .kube unit runs, taken from the generated unit itself.
    const units = join(box.dir, 'quadlet-src');
    mkdirSync(units, { recursive: true });
    writeFileSync(join(units, 'quad.kube'), `[Kube]\nYaml=${file}\nPublishPort=127.0.0.1:${port}:80\nConfigMap=${cm}\nLogDriver=k8s-file\n`);
    const gen = spawnSync(join(import.meta.dirname, '../../bin/tspod'), [...box.globalArgs, 'quadlet', '--dryrun'], {
      env: { ...box.env, QUADLET_UNIT_DIRS: units },
    });
    assert.equal(gen.status, 0, gen.stderr.toString());
    const unit = gen.stdout.toString();
    const line = (key: string) => {
      const found = new RegExp(`^${key}=(.*)$`, 'm').exec(unit);
      assert.ok(found, `${key} in\n${unit}`);
      return found[1]!.split(' ');
    };
    const start = line('ExecStart');
    const stop = line('ExecStopPost');
    assert.ok(start.includes('--replace') && start.includes('--configmap') && start.includes('--log-driver'), start.join(' '));
    const run = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { env: box.env });

    const started = run(start);
    assert.equal(started.status, 0, started.stderr.toString());
    assert.match(started.stdout.toString(), /Pod:\n[0-9a-f]{64}\nContainer:\n[0-9a-f]{64}\n\n$/);
    assert.equal(box.ok(['container', 'inspect', '--format', '{{.HostConfig.LogConfig.Type}}', 'quad-web']), 'k8s-file\n');
    let res = { status: 0, body: '' };
    for (let i = 0; i < 100 && res.status !== 200; i++) {
      res = await httpGet(port).catch(() => ({ status: 0, body: '' }));
      if (res.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(res.body, 'extra-word\n');
    // Restarting the unit replaces the pod.
    assert.equal(run(start).status, 0);
    assert.equal(box.ok(['pod', 'ps', '--format', '{{.Name}}']), 'quad\n');
    const stopped = run(stop);
    assert.equal(stopped.status, 0, stopped.stderr.toString());
    assertNothingCreated();
    assert.ok(!existsSync(box.path('no-such-dir')));
  });
});

test('play kube --build builds an image from its folder, then runs it', () => {
  const dir = box.path('kubebuild');
  mkdirSync(join(dir, 'kubebuilt'), { recursive: true });
  writeFileSync(join(dir, 'kubebuilt', 'Containerfile'), `FROM ${IMG}\nRUN echo built by play > /built\nCMD ["cat", "/built"]\n`);
  const yaml = writeYaml(
    'kubebuilt.yaml',
    `apiVersion: v1
kind: Pod
metadata:
  name: builtpod
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: localhost/kubebuilt:latest
`,
  );
  const r = box.run(['kube', 'play', '--build', '--context-dir', dir, yaml]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, playOutput(1));
  assert.match(r.stderr, /STEP 2\/3: RUN echo built by play/);
  assert.equal(box.ok(['wait', 'builtpod-main']).trim(), '0');
  assert.equal(box.ok(['logs', 'builtpod-main']), 'built by play\n');
  box.ok(['kube', 'down', yaml]);
});
