/**
 * JSON Schemas of the requests: Fastify validates every request with them, and /v1/openapi.json is
 * generated from them, so the documentation cannot drift from what is checked.
 */

const position = {
  type: 'string',
  maxLength: 100,
  description: 'A position "epoch:seq", as in an envelope id or an ETag',
} as const;

const filters = {
  debug: {
    type: 'string',
    enum: ['0', '1', 'true', 'false'],
    description: 'The debug face (bars, history, performance)',
  },
  symbols: {
    type: 'string',
    maxLength: 100_000,
    description: 'Comma-separated symbols: only these under /session_data/symbols',
  },
  path: {
    type: 'array',
    items: { type: 'string', maxLength: 1024 },
    maxItems: 64,
    description: 'Repeatable JSON Pointer (RFC 6901): only these subtrees',
  },
  token: {
    type: 'string',
    description: 'The bearer token, for clients that cannot send headers (EventSource, WebSocket)',
  },
} as const;

/** Longest a long poll (`wait`) may hold a request. */
export const MAX_WAIT_MS = 30_000;

/** GET /v1/state. */
export const STATE_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...filters,
    since: position,
    wait: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_WAIT_MS,
      description: 'With since: hold up to this many ms for a change (long poll)',
    },
  },
} as const;

/** GET /v1/stream. */
export const STREAM_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { ...filters, since: position },
} as const;

const empty = { type: 'object', additionalProperties: false, properties: {} } as const;

/** Bodies of POST /v1/control/{action}. */
export const CONTROL_BODIES = {
  start: {
    type: 'object',
    additionalProperties: false,
    properties: {
      config: {
        type: 'object',
        description: 'A session config (as in a config file); default the current one',
      },
    },
  },
  pause: empty,
  resume: empty,
  stop: empty,
  step: {
    type: 'object',
    additionalProperties: false,
    properties: {
      minutes: {
        type: 'integer',
        minimum: 1,
        maximum: 100_000,
        description: 'Market minutes to replay; default 1',
      },
    },
  },
  speed: {
    type: 'object',
    additionalProperties: false,
    required: ['speed'],
    properties: {
      speed: {
        anyOf: [
          { type: 'number', exclusiveMinimum: 0 },
          { type: 'string', maxLength: 32 },
        ],
        description: 'Market ms per wall ms (1 = real time, 60 = a market minute per second) or "max"',
      },
    },
  },
} as const;
