/**
 * Follows `NextToken` until AWS stops returning one. Every list call goes through here:
 * paginated calls draw from EC2's larger token bucket (docs/aws-facts.md §9), and an
 * unfollowed token would silently drop data. A token that comes back twice means the
 * server is looping; failing beats spinning until the call times out.
 */
export async function collectPages<Page extends { NextToken?: string }, Item>(
  fetchPage: (nextToken: string | undefined) => Promise<Page>,
  itemsOf: (page: Page) => Item[] | undefined,
): Promise<Item[]> {
  return followTokens(fetchPage, itemsOf, page => page.NextToken);
}

/** {@link collectPages} for the APIs (RAM among them) that spell the token `nextToken`. */
export async function collectCamelCasePages<Page extends { nextToken?: string }, Item>(
  fetchPage: (nextToken: string | undefined) => Promise<Page>,
  itemsOf: (page: Page) => Item[] | undefined,
): Promise<Item[]> {
  return followTokens(fetchPage, itemsOf, page => page.nextToken);
}

async function followTokens<Page, Item>(
  fetchPage: (nextToken: string | undefined) => Promise<Page>,
  itemsOf: (page: Page) => Item[] | undefined,
  tokenOf: (page: Page) => string | undefined,
): Promise<Item[]> {
  const items: Item[] = [];
  const seen = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await fetchPage(nextToken);
    items.push(...(itemsOf(page) ?? []));
    nextToken = tokenOf(page) || undefined;
    if (nextToken !== undefined) {
      if (seen.has(nextToken)) throw new Error('Pagination loop: the same NextToken came back twice');
      seen.add(nextToken);
    }
  } while (nextToken !== undefined);
  return items;
}

export const FILTER_VALUES_PER_REQUEST = 50;

/**
 * Splits filter values into requests of a bounded size. EC2 bounds how many values one
 * filter may carry, so long lists of instance types go out in slices well below any
 * such bound; a family list of the default size fits in one request.
 */
export function chunked<T>(values: T[], size = FILTER_VALUES_PER_REQUEST): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < values.length; i += size) chunks.push(values.slice(i, i + size));
  return chunks;
}
