/**
 * Go's path.Match: `*` any run of characters but `/`, `?` one such character,
 * `[...]` a class (`[^...]` negated), `\` escapes; a malformed
 * pattern matches nothing.
 */
export function pathMatch(pattern: string, name: string): boolean {
  const re = pathPattern(pattern);
  return re !== undefined && re.test(name);
}

export function pathPattern(pattern: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') re += escape(pattern[++i] ?? '\\');
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      re += `[${negated ? '^/' : ''}${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += escape(ch);
  }
  try {
    return new RegExp(`^${re}$`, 's');
  } catch {
    return undefined;
  }
}

function escape(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
