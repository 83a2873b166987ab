import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult, BasicPermission } from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import { Request } from 'express';
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

/** Turns the first zod issue into a 400 that names the parameter. */
export function parseOrThrow<T>(schema: z.ZodType<T, any, any>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key =
    issue.code === z.ZodIssueCode.unrecognized_keys ? issue.keys.join(', ') : issue.path.join('.');
  const message = issue.code === z.ZodIssueCode.unrecognized_keys ? 'unknown parameter' : issue.message;
  throw new InputError(`Invalid ${what} '${key}': ${message}`);
}

/** The user (or service) behind a request, as stored with what it created. */
export function principalRef(credentials: BackstageCredentials): string {
  const principal = credentials.principal as { type: string; userEntityRef?: string; subject?: string };
  return principal.userEntityRef ?? principal.subject ?? principal.type;
}

/** Ids of stored records (placements, plans) are UUIDs. */
export const recordIdSchema = (what: string) => z.string().uuid(`must be a ${what} id (UUID)`);
