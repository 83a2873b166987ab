import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult, BasicPermission } from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import express, { Request } from 'express';
import { z } from 'zod';

/** What every route group needs to guard and record its requests. */
export interface RouteHelpers {
  /**
   * Answers 403 unless the caller holds the permission. Call it first in every route,
   * before reading the body or looking anything up, so a caller without the permission
   * learns nothing else (not even that their input was malformed).
   */
  requirePermission(req: Request, permission: BasicPermission): Promise<BackstageCredentials>;
  /**
   * Answers 403 unless the caller holds at least one of the permissions, for routes
   * whose exact permission depends on what they look up next; `require` then answers
   * 403 unless the caller holds that one.
   */
  requireAnyPermission(
    req: Request,
    permissions: BasicPermission[],
  ): Promise<{ credentials: BackstageCredentials; require(permission: BasicPermission): Promise<void> }>;
  /** Runs a mutation under an audit event that records who, what and the outcome. */
  audited<T>(req: Request, eventId: string, meta: JsonObject, fn: () => Promise<T>): Promise<T>;
}

export function createRouteHelpers(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}): RouteHelpers {
  const { httpAuth, permissions, auditor } = options;

  const requireAnyPermission: RouteHelpers['requireAnyPermission'] = async (req, wanted) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const decisions = await permissions.authorize(
      wanted.map(permission => ({ permission })),
      { credentials },
    );
    const granted = new Set(
      wanted.filter((_, i) => decisions[i].result === AuthorizeResult.ALLOW).map(p => p.name),
    );
    // A refusal is recorded like any other outcome: who was refused what, on which route.
    const refuse = (names: string[]) => {
      const error = new NotAllowedError(`Not allowed: ${names.join(' or ')} is required`);
      const recorded = auditor
        .createEvent({
          eventId: 'permission-refused',
          severityLevel: 'medium',
          request: req,
          meta: { method: req.method, route: req.originalUrl.split('?')[0], required: names },
        })
        .then(event => event.fail({ error }));
      return { error, recorded };
    };
    if (granted.size === 0) {
      const { error, recorded } = refuse(wanted.map(p => p.name));
      await recorded;
      throw error;
    }
    return {
      credentials,
      async require(permission) {
        if (granted.has(permission.name)) return;
        const { error, recorded } = refuse([permission.name]);
        await recorded;
        throw error;
      },
    };
  };

  return {
    requireAnyPermission,
    async requirePermission(req, permission) {
      return (await requireAnyPermission(req, [permission])).credentials;
    },
    async audited(req, eventId, meta, fn) {
      const event = await auditor.createEvent({ eventId, severityLevel: 'medium', request: req, meta });
      try {
        const result = await fn();
        await event.success();
        return result;
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
    },
  };
}

/**
 * An HTTP status Backstage's errors have no class for (413, 415); answered by
 * `httpErrors` in the same JSON shape as every other fabric error.
 */
export class FabricHttpError extends Error {
  constructor(readonly statusCode: 413 | 415, readonly errorName: string, message: string) {
    super(message);
    this.name = errorName;
  }
}

const BODY_ERROR = Symbol('fabric body error');
type RequestWithBodyError = Request & { [BODY_ERROR]?: { type?: string; message: string } };

/**
 * Keeps a body the JSON parser rejected (malformed, too large, badly encoded) on the
 * request instead of failing it at once, so the route can authorize first: a caller
 * without the permission is answered 403 whatever they sent, and learns nothing from a
 * 400. Mounted right after the parser, so every error it sees is the parser's.
 */
export const deferBodyErrors: express.ErrorRequestHandler = (error, req, _res, next) => {
  (req as RequestWithBodyError)[BODY_ERROR] = { type: error?.type, message: String(error?.message ?? error) };
  req.body = undefined;
  next();
};

/**
 * The request's JSON body, read only after the route authorized the caller: 413 for a
 * body over the limit, 415 for a body that is not `application/json` or is encoded in a
 * way the parser cannot undo, 400 for malformed JSON or a body that does not decode
 * (naming the problem, never echoing the body). No body reads as `undefined`.
 */
export function jsonBody(req: Request): unknown {
  const deferred = (req as RequestWithBodyError)[BODY_ERROR];
  const encoding = req.headers['content-encoding'];
  if (deferred?.type === 'entity.too.large') {
    throw new FabricHttpError(413, 'PayloadTooLargeError', 'Request body is larger than the 1 MB the fabric accepts');
  }
  if (deferred?.type === 'encoding.unsupported') {
    throw new FabricHttpError(
      415,
      'UnsupportedMediaTypeError',
      `Request body must not be encoded as ${encoding}; send it as is or as gzip or deflate`,
    );
  }
  if (deferred?.type === 'entity.parse.failed' || deferred?.type === 'charset.unsupported') {
    throw new InputError(`Request body is not valid JSON: ${deferred.message}`);
  }
  // Anything else the parser met (a body that does not inflate, a length that does not
  // match) is the body's fault too; zlib's codes and errno stay on the server.
  if (deferred && encoding) throw new InputError(`Request body could not be decoded as ${encoding}: ${deferred.message}`);
  if (deferred) throw new InputError(`Request body could not be read: ${deferred.message}`);
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    throw new FabricHttpError(
      415,
      'UnsupportedMediaTypeError',
      `Request body must be application/json, not ${req.headers['content-type'] ?? 'unspecified'}`,
    );
  }
  return hasBody ? req.body : undefined;
}

/**
 * Turns the first zod issue into a 400 that names the parameter. An issue with the whole
 * input (a missing body, a malformed path id) names the input itself; an empty key is
 * shown as "" so the message never reads as if a name were missing.
 */
export function parseOrThrow<T>(schema: z.ZodType<T, any, any>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = (key: string | number) => (key === '' ? '""' : String(key));
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    throw new InputError(`Invalid ${what} '${issue.keys.map(name).join(', ')}': unknown parameter`);
  }
  if (issue.path.length === 0) {
    const wholeInput =
      issue.code === z.ZodIssueCode.invalid_type && issue.expected === 'object'
        ? `must be a JSON object, not ${issue.received === 'undefined' ? 'empty' : issue.received}`
        : issue.message;
    throw new InputError(`Invalid ${what}: ${wholeInput}`);
  }
  throw new InputError(`Invalid ${what} '${issue.path.map(name).join('.')}': ${issue.message}`);
}

/** The user (or service) behind a request, as stored with what it created. */
export function principalRef(credentials: BackstageCredentials): string {
  const principal = credentials.principal as { type: string; userEntityRef?: string; subject?: string };
  return principal.userEntityRef ?? principal.subject ?? principal.type;
}

/** Ids of stored records (placements, plans) are UUIDs. */
export const recordIdSchema = (what: string) => z.string().uuid(`must be a ${what} id (UUID)`);
