import { Ec2Errors } from './errors.js';
import type { QueryParams } from './query.js';

/** What a paginated Describe asked for. */
export interface PageRequest {
  maxResults: number | undefined;
  /** Sort key of the last item the previous page returned. */
  after: string | number | undefined;
}

/**
 * Reads `MaxResults` (bounded to `min..max`, else InvalidParameterValue) and `NextToken` (opaque,
 * base64url JSON holding the last key served; anything else is InvalidParameterValue).
 * Keys, not offsets, so launches and terminations between pages neither skip nor repeat items.
 */
export function readPageRequest(params: QueryParams, min = 5, max = 1000): PageRequest {
  const maxResults = params.int('MaxResults');
  if (maxResults !== undefined && (maxResults < min || maxResults > max)) {
    throw Ec2Errors.maxResultsOutOfRange(maxResults, min, max);
  }
  const token = params.str('NextToken');
  let after: string | number | undefined;
  if (token !== undefined && token !== '') {
    try {
      const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown };
      if (typeof decoded.k !== 'string' && typeof decoded.k !== 'number') throw new Error('no key');
      after = decoded.k;
    } catch {
      throw Ec2Errors.invalidNextToken();
    }
  }
  return { maxResults, after };
}

/** One page of `items` (already in key order) and the token for the next, if there is one. */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string | number,
  request: PageRequest,
): { page: T[]; nextToken: string | undefined } {
  const { after } = request;
  const start = after === undefined ? 0 : items.findIndex((item) => keyOf(item) > after);
  const rest = start < 0 ? [] : items.slice(start);
  if (request.maxResults === undefined || rest.length <= request.maxResults) return { page: rest, nextToken: undefined };
  const page = rest.slice(0, request.maxResults);
  const last = page[page.length - 1] as T;
  return { page, nextToken: Buffer.from(JSON.stringify({ k: keyOf(last) })).toString('base64url') };
}
