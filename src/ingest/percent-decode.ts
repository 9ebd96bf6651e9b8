/**
 * Tolerant percent-decoding for the line format. Unlike decodeURIComponent it never throws: an
 * invalid `%` sequence, or bytes that do not form UTF-8, are kept literally. `+` stays a `+`: no SDK
 * encodes a space as `+`, and the JavaScript SDK appends the raw user agent, which may contain one.
 */
export function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return decodeBytesLeniently(run);
      }
    });
  }
}

/** Decodes the longest valid UTF-8 prefixes of a run of %XX bytes, keeping invalid ones literally. */
function decodeBytesLeniently(run: string): string {
  const parts = run.match(/%[0-9A-Fa-f]{2}/g) ?? [];
  let out = '';
  let i = 0;
  while (i < parts.length) {
    let decoded: string | null = null;
    let used = 0;
    for (let len = Math.min(4, parts.length - i); len >= 1; len--) {
      try {
        decoded = decodeURIComponent(parts.slice(i, i + len).join(''));
        used = len;
        break;
      } catch {
        // Try a shorter sequence.
      }
    }
    if (decoded === null) {
      out += parts[i];
      i += 1;
    } else {
      out += decoded;
      i += used;
    }
  }
  return out;
}
