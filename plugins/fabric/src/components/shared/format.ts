/** `$1.23` per hour; blank for unknown. */
export function usd(value?: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `$${value.toFixed(2)}`;
}

/** `use1-az4 (us-east-1b)`: the physical id first, the account's local name beside it. */
export function azLabel(azId: string, azName?: string): string {
  return azName ? `${azId} (${azName})` : azId;
}

/** Minutes or hours since a timestamp, for freshness. */
export function age(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return 'never';
  const minutes = Math.round((now.getTime() - new Date(iso).getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}
