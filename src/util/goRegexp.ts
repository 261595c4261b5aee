/** Go's regexp.MatchString: unanchored; an invalid pattern matches nothing. A leading `(?i)` etc. becomes a flag. */
export function goRegexpMatch(pattern: string, text: string): boolean {
  const flags = /^\(\?([ims]+)\)/.exec(pattern);
  try {
    return new RegExp(flags ? pattern.slice(flags[0].length) : pattern, flags ? [...new Set(flags[1])].join('') : '').test(text);
  } catch {
    return false;
  }
}
