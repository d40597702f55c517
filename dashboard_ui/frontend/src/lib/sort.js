// Sorting table rows by a field; nulls always last.

export function sortRows(rows, { field, desc }) {
  const sign = desc ? -1 : 1;
  return [...(rows ?? [])].sort((a, b) => {
    const x = a[field];
    const y = b[field];
    const xMissing = x === null || x === undefined;
    const yMissing = y === null || y === undefined;
    if (xMissing || yMissing) return xMissing === yMissing ? 0 : xMissing ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * sign;
    return String(x).localeCompare(String(y)) * sign;
  });
}
