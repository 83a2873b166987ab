import { ConflictError, InputError } from '@backstage/errors';
import { isFabricRefusal, REFUSAL_RULES } from '@internal/backstage-plugin-fabric-common';
import { ErrorRequestHandler } from 'express';
import { FabricHttpError } from './routeHelpers';

/**
 * The one place a refusal becomes an HTTP status: its rule says whether the request
 * conflicts with what the fabric can do (409) or is an invalid combination of inputs
 * (400). Mounted last on the fabric router, so Backstage's error handler, which runs
 * after it, answers with the usual JSON error body.
 */
export const refusalErrors: ErrorRequestHandler = (error, req, res, next) => {
  if (error instanceof FabricHttpError) {
    // The shape of Backstage's own error bodies, for a status it has no error class for.
    res.status(error.statusCode).json({
      error: { name: error.errorName, message: error.message },
      request: { method: req.method, url: req.originalUrl },
      response: { statusCode: error.statusCode },
    });
    return;
  }
  if (!isFabricRefusal(error)) {
    next(error);
    return;
  }
  next(REFUSAL_RULES[error.rule] === 'conflict' ? new ConflictError(error.message) : new InputError(error.message));
};
