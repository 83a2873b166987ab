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

/** A running time: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function elapsed(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.floor(seconds))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}
