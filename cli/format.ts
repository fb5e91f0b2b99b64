/** Plain-text rendering shared by the commands. */

/** Columns padded to their widest cell; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  '))
    .join('\n');
}

const UNITS: ReadonlyArray<readonly [number, string]> = [
  [86_400, 'd'],
  [3600, 'h'],
  [60, 'min'],
];

/** `2592000` → `2592000 (30 d)`; values under a minute or not whole in any unit stay bare. */
export function seconds(value: number): string {
  for (const [size, unit] of UNITS) {
    if (value >= size && value % size === 0) return `${value} (${value / size} ${unit})`;
  }
  return String(value);
}
