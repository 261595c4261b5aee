/**
 * Stages of a Containerfile: global ARGs before the first FROM, each FROM's
 * base (an image, `scratch`, or an earlier stage), and which stages the
 * target needs (FROM, COPY --from and RUN --mount from= name them).
 */
import type { Containerfile, Instruction } from './containerfile/parser.js';
import { ContainerfileSyntaxError } from './containerfile/parser.js';
import { expandWord, expandWords } from './containerfile/shellWords.js';
import { InvalidArgumentError } from '../util/errors.js';

export interface Stage {
  index: number;
  /** `AS name`, lower-cased. */
  name?: string;
  /** The base after ARG expansion: an image reference, `scratch`, or an earlier stage's name or index. */
  base: string;
  /** The earlier stage the base names, if any. */
  baseStage?: number;
  platform?: string;
  from: Instruction;
  instructions: Instruction[];
  /** Earlier stages this one needs (its base and --from sources). */
  needs: Set<number>;
}

export interface Plan {
  file: Containerfile;
  /** Global ARGs (declared before the first FROM) with their values after --build-arg. */
  globalArgs: Map<string, string | undefined>;
  stages: Stage[];
  /** The stages to build, in order; the last one is the target. */
  order: number[];
}

/** ARGs every build knows without declaring them globally (Buildah/BuildKit's automatic platform args). */
export function predefinedArgs(platform: { os: string; arch: string; variant?: string }): Map<string, string> {
  const p = `${platform.os}/${platform.arch}${platform.variant ? `/${platform.variant}` : ''}`;
  return new Map([
    ['TARGETPLATFORM', p],
    ['TARGETOS', platform.os],
    ['TARGETARCH', platform.arch],
    ['TARGETVARIANT', platform.variant ?? ''],
    ['BUILDPLATFORM', p],
    ['BUILDOS', platform.os],
    ['BUILDARCH', platform.arch],
    ['BUILDVARIANT', platform.variant ?? ''],
  ]);
}

/** `ARG a=1 b` → [[a,'1'],[b,undefined]] (values not yet expanded). */
export function parseArgDeclarations(ins: Instruction): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = [];
  for (const word of ins.args.split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ContainerfileSyntaxError(`line ${ins.line}: ARG names a variable "${name}" that is not a valid name`);
    out.push([name, eq < 0 ? undefined : word.slice(eq + 1)]);
  }
  return out;
}

export function planStages(file: Containerfile, buildArgs: ReadonlyMap<string, string>, target: string | undefined, predefined: ReadonlyMap<string, string>): Plan {
  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  const vars = () => {
    const m = new Map<string, string>(predefined);
    for (const [k, v] of globalArgs) if (v !== undefined) m.set(k, v);
    return m;
  };
  let current: Stage | undefined;
  for (const ins of file.instructions) {
    if (ins.keyword === 'FROM') {
      const words = expandWords(ins.args, vars(), file.escape);
      let name: string | undefined;
      if (words.length === 3 && words[1]!.toLowerCase() === 'as') name = words[2]!.toLowerCase();
      else if (words.length !== 1) {
        throw new ContainerfileSyntaxError(`${file.file}:${ins.line}: FROM takes an image and optionally "AS name", got "${ins.args}"`);
      }
      if (name !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(name)) {
        throw new ContainerfileSyntaxError(`${file.file}:${ins.line}: invalid stage name "${words[2]}": use letters, digits, -, _ and .`);
      }
      const base = words[0]!;
      const platformFlag = ins.flags.find((f) => f.name === 'platform');
      for (const f of ins.flags) {
        if (f.name !== 'platform') throw new ContainerfileSyntaxError(`${file.file}:${ins.line}: unknown flag --${f.name} for FROM: only --platform is allowed`);
      }
      const baseStage = stageIndex(stages, base);
      current = {
        index: stages.length,
        name,
        base,
        baseStage,
        platform: platformFlag ? expandWord(platformFlag.value, vars(), file.escape) : undefined,
        from: ins,
        instructions: [],
        needs: new Set(baseStage !== undefined ? [baseStage] : []),
      };
      stages.push(current);
      continue;
    }
    if (!current) {
      if (ins.keyword !== 'ARG') throw new ContainerfileSyntaxError(`${file.file}:${ins.line}: ${ins.keyword} before the first FROM: only ARG may come before FROM`);
      for (const [name, def] of parseArgDeclarations(ins)) {
        globalArgs.set(name, buildArgs.get(name) ?? (def === undefined ? undefined : expandWord(def, vars(), file.escape)));
      }
      continue;
    }
    current.instructions.push(ins);
    const fromFlag = ins.flags.find((f) => f.name === 'from');
    if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && fromFlag) {
      const dep = stageIndex(stages.slice(0, current.index), fromFlag.value);
      if (dep !== undefined) current.needs.add(dep);
    }
    if (ins.keyword === 'RUN') {
      for (const f of ins.flags.filter((x) => x.name === 'mount')) {
        const from = /(?:^|,)from=([^,]+)/.exec(f.value)?.[1];
        const dep = from ? stageIndex(stages.slice(0, current.index), from) : undefined;
        if (dep !== undefined) current.needs.add(dep);
      }
    }
  }
  if (stages.length === 0) throw new ContainerfileSyntaxError(`${file.file}: no FROM instruction: a Containerfile starts with FROM (after optional ARGs)`);
  let targetIndex = stages.length - 1;
  if (target !== undefined) {
    const t = stages.findIndex((s) => s.name === target.toLowerCase());
    if (t < 0) throw new InvalidArgumentError(`no stage named "${target}" in ${file.file}: use one of ${stages.filter((s) => s.name).map((s) => s.name).join(', ') || '(no named stages)'}`);
    targetIndex = t;
  }
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of stages[i]!.needs) visit(d);
  };
  visit(targetIndex);
  const order = [...needed].sort((a, b) => a - b);
  return { file, globalArgs, stages, order };
}

/** An earlier stage named by `AS name` or by its index; undefined: an image. */
export function stageIndex(stages: Stage[], ref: string): number | undefined {
  const lower = ref.toLowerCase();
  const byName = stages.find((s) => s.name === lower);
  if (byName) return byName.index;
  if (/^\d+$/.test(ref) && Number(ref) < stages.length) return Number(ref);
  return undefined;
}
