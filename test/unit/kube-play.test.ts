import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine/types.js';
import { parseQuantity, planPlay, playReportText, readDocuments } from '../../src/kube/play.js';
import { Field, KubeYamlError, parseKubeDocuments } from '../../src/kube/yamlInput.js';
import { bytesQuantity, kubeVolumeName } from '../../src/kube/generate.js';
import { buildContextFor } from '../../src/kube/build.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Planning only asks the engine for stored secrets; none are stored here. */
const engine = { secrets: { inspect: async (names: string[]) => names.map(() => new Error('no such secret')) } } as unknown as Engine;

async function plan(yaml: string, opts: Partial<Parameters<typeof planPlay>[3]> = {}) {
  return planPlay(engine, readDocuments(yaml, 'test.yaml'), [], { cwd: '/', ...opts });
}

async function planError(yaml: string): Promise<string> {
  try {
    await plan(yaml);
  } catch (e) {
    assert.ok(e instanceof KubeYamlError, String(e));
    return e.message;
  }
  assert.fail('the YAML was accepted');
}

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
  annotations:
    shared: everyone
    only/main: main-only
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 3
  securityContext:
    runAsUser: 1000
  containers:
  - name: main
    image: busybox:1.36
    command: [sh, -c]
    args: ['echo $(GREETING) $$HOME', 80]
    workingDir: /srv
    env:
    - name: GREETING
      value: hello
    ports:
    - containerPort: 80
      hostPort: 8080
    - containerPort: 53
      protocol: UDP
      name: dns
    resources:
      limits:
        memory: 64Mi
        cpu: 250m
      requests:
        memory: 32Mi
    securityContext:
      runAsGroup: 100
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities:
        add: [NET_ADMIN]
        drop: [CHOWN]
    volumeMounts:
    - name: data
      mountPath: /data
      readOnly: true
    - name: scratch
      mountPath: /scratch
  - name: only
    image: localhost/side
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data-claim
  - name: scratch
    emptyDir:
      medium: Memory
`;

describe('kube play: YAML to specs', () => {
  it('turns a Pod into pod options and container specs as run --pod would', async () => {
    const { pods } = await plan(POD);
    assert.equal(pods.length, 1);
    const [pod] = pods;
    assert.equal(pod!.name, 'web');
    assert.deepEqual(pod!.ports, [{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }]);
    assert.equal(pod!.options.exitPolicy, 'stop');
    assert.deepEqual(pod!.options.labels, { app: 'web' });
    const [main, side] = pod!.containers;
    assert.deepEqual(main!.spec, {
      image: 'busybox:1.36',
      name: 'web-main',
      entrypoint: ['sh', '-c'],
      command: ['echo hello $HOME', '80'],
      env: { GREETING: 'hello' },
      labels: { app: 'web' },
      annotations: { shared: 'everyone', only: 'main-only' },
      restartPolicy: 'on-failure',
      workingDir: '/srv',
      stopTimeout: 3,
      resources: { memory: 64 * 1024 ** 2, memoryReservation: 32 * 1024 ** 2, cpus: 0.25 },
      readOnly: true,
      noNewPrivileges: true,
      capAdd: ['NET_ADMIN'],
      capDrop: ['CHOWN'],
      user: '1000:100',
    });
    assert.equal(main!.pullPolicy, 'IfNotPresent');
    assert.deepEqual(side!.spec.annotations, { shared: 'everyone' }, '`key/main` annotations are main\'s alone');
    assert.equal(side!.spec.entrypoint, undefined, 'no command: the image decides');
    assert.deepEqual(main!.mounts.map((m) => [m.volume, m.destination, m.readOnly]), [['data', '/data', true], ['scratch', '/scratch', false]]);
    assert.deepEqual(pod!.volumes.get('data'), { kind: 'volume', name: 'data-claim', readOnly: false });
    assert.deepEqual(pod!.volumes.get('scratch'), { kind: 'emptyDir', memory: true });
  });

  it('names the pods of Deployments, DaemonSets and Jobs <name>-pod; a Job restarts OnFailure by default', async () => {
    const workload = (kind: string, apiVersion: string) => `apiVersion: ${apiVersion}
kind: ${kind}
metadata:
  name: w
spec:
  template:
    spec:
      containers:
      - name: c
        image: img:1
`;
    for (const [kind, api, restart] of [['Deployment', 'apps/v1', 'always'], ['DaemonSet', 'apps/v1', 'always'], ['Job', 'batch/v1', 'on-failure']] as const) {
      const { pods } = await plan(workload(kind, api));
      assert.equal(pods[0]!.name, 'w-pod');
      assert.equal(pods[0]!.containers[0]!.spec.name, 'w-pod-c');
      assert.equal(pods[0]!.containers[0]!.spec.restartPolicy, restart);
    }
  });

  it('ConfigMaps and Secrets feed env (envFrom, keyRef) and volumes (items)', async () => {
    const { pods, secrets } = await plan(`apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  A: one
  file.txt: content
---
apiVersion: v1
kind: Secret
metadata:
  name: sec
data:
  token: dG9rZW4=
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: img:1
    envFrom:
    - configMapRef:
        name: cm
      prefix: CM_
    env:
    - name: TOKEN
      valueFrom:
        secretKeyRef: {name: sec, key: token}
    - name: POD
      valueFrom:
        fieldRef: {fieldPath: metadata.name}
    volumeMounts:
    - {name: files, mountPath: /etc/files}
  volumes:
  - name: files
    configMap:
      name: cm
      items:
      - {key: file.txt, path: sub/renamed.txt}
`);
    assert.deepEqual(pods[0]!.containers[0]!.spec.env, { CM_A: 'one', 'CM_file.txt': 'content', TOKEN: 'token', POD: 'p' });
    const files = pods[0]!.volumes.get('files');
    assert.deepEqual(files, { kind: 'files', name: 'cm', files: [{ path: 'sub/renamed.txt', data: Buffer.from('content'), mode: 0o644 }] });
    assert.equal(secrets[0]!.name, 'sec');
    assert.match(secrets[0]!.raw.toString(), /^apiVersion: v1\ndata:\n  token: dG9rZW4=\nkind: Secret\n/);
  });

  it('--publish replaces the YAML port of the same container port; a Service publishes its node ports', async () => {
    const yaml = `${POD}---
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  type: NodePort
  selector:
    app: web
  ports:
  - port: 53
    targetPort: dns
    protocol: UDP
    nodePort: 30053
  - port: 80
    nodePort: 30080
`;
    const { pods } = await plan(yaml, { publish: [{ host_ip: '127.0.0.1', container_port: 80, host_port: 9090, range: 1, protocol: 'tcp' }] });
    assert.deepEqual(pods[0]!.ports, [
      { host_ip: '127.0.0.1', container_port: 80, host_port: 9090, range: 1, protocol: 'tcp' },
      { host_ip: '', container_port: 53, host_port: 30053, range: 1, protocol: 'udp' },
    ]);
  });
});

describe('kube play: bad input is one line naming the document and the field', () => {
  const cases: Array<[string, string, string]> = [
    ['a list where a mapping belongs', 'apiVersion: v1\nkind: Pod\nmetadata: []\n', 'test.yaml document 1 (Pod): metadata: expected a mapping, got a list'],
    ['no kind', 'apiVersion: v1\nmetadata:\n  name: x\n', 'test.yaml document 1: kind: is required: add it'],
    ['a number for the image', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    image: 7\n', 'test.yaml document 1 (Pod "x"): spec.containers[0].image: expected a string, got number 7'],
    ['a mount of an undefined volume', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    image: i\n    volumeMounts:\n    - {name: v, mountPath: /v}\n', 'spec.containers[0].volumeMounts[0].name: no volume named "v" in spec.volumes: add it there'],
    ['a missing ConfigMap', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    image: i\n    envFrom:\n    - configMapRef: {name: nope}\n', 'spec.containers[0].envFrom[0].configMapRef: ConfigMap "nope" is not defined'],
    ['a bad quantity', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    image: i\n    resources:\n      limits: {memory: lots}\n', 'spec.containers[0].resources.limits.memory: "lots" is not a quantity'],
    ['a Job restarting Always', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      restartPolicy: Always\n      containers:\n      - {name: c, image: i}\n', 'test.yaml document 1 (Job "j"): spec.template.spec.restartPolicy: a Job cannot restart Always'],
  ];
  for (const [what, yaml, expected] of cases) {
    it(what, async () => {
      const message = await planError(yaml);
      assert.ok(message.includes(expected), message);
      assert.ok(!message.includes('\n'), 'one line');
    });
  }
});

describe('kube helpers', () => {
  it('parses Kubernetes quantities', () => {
    const q = (v: unknown, kind: 'bytes' | 'cpu') => parseQuantity(Field.root('t', { v }).get('v'), kind);
    assert.equal(q('64Mi', 'bytes'), 64 * 1024 ** 2);
    assert.equal(q('1G', 'bytes'), 1e9);
    assert.equal(q(1024, 'bytes'), 1024);
    assert.equal(q('500m', 'cpu'), 0.5);
    assert.equal(q('2', 'cpu'), 2);
    assert.equal(q(undefined, 'cpu'), undefined);
    assert.throws(() => q('1.5.5', 'cpu'), KubeYamlError);
  });

  it('names volumes and sizes as Podman writes them', () => {
    assert.equal(kubeVolumeName('/home/user/my_data.d/'), 'home-user-my-data-d');
    assert.equal(kubeVolumeName('/'), 'root');
    assert.equal(bytesQuantity(64 * 1024 ** 2), '64Mi');
    assert.equal(bytesQuantity(2 * 1024 ** 3), '2Gi');
    assert.equal(bytesQuantity(1000), '1000');
  });

  it('skips empty documents and reports the play as Podman does', () => {
    assert.equal(parseKubeDocuments('---\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n').length, 1);
    assert.equal(
      playReportText({ volumes: ['v'], secrets: [], pods: [{ id: 'p1', containers: ['c1'] }, { id: 'p2', containers: ['c2', 'c3'] }] }),
      'Volumes:\nv\nPod:\np1\nContainer:\nc1\n\nPod:\np2\nContainers:\nc2\nc3\n\n',
    );
  });

  it('finds the build folder of an image: its last name part, holding a Containerfile or Dockerfile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kube-build-'));
    try {
      mkdirSync(join(dir, 'foobar'));
      assert.equal(buildContextFor('foobar', dir), undefined, 'a folder without a Containerfile is no build context');
      writeFileSync(join(dir, 'foobar', 'Containerfile'), 'FROM scratch\n');
      assert.equal(buildContextFor('localhost/foobar:1.0', dir), join(dir, 'foobar'));
      assert.equal(buildContextFor('quay.io/x/foobar@sha256:abc', dir), join(dir, 'foobar'));
      assert.equal(buildContextFor('other', dir), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
