/**
 * FNV-1a (32 bits) over the text's UTF-8 bytes: a stable hash, the same in every process and
 * every run, so one order's free-text item always maps to the same catalogue item.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The catalogue id (1..size) a text maps to when no item has that exact name. */
export function hashedItemId(text: string, catalogueSize: number): number {
  return (fnv1a(text) % catalogueSize) + 1;
}
