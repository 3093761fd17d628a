/**
 * The admin API's shapes, once: zod schemas validate request bodies and queries (strict: an
 * unknown field is an error) and, registered under a name in `adminSchemas`, become the
 * components of the OpenAPI document (openapi.ts). Optional fields use `exactOptional` so the
 * parsed values fit the tenancy model under `exactOptionalPropertyTypes`.
 */
import { z } from 'zod';
import type { UsageDimension } from '../tenancy/model.js';

/** Named schemas: each becomes `#/components/schemas/<id>` in the OpenAPI document. */
export const adminSchemas = z.registry<{ id: string }>();

function named<T extends z.ZodType>(id: string, schema: T): T {
  adminSchemas.add(schema, { id });
  return schema;
}

const name = z.string().min(1).max(64);
const idOrName = z.string().min(1).max(128);
const timestamp = z.int().describe('Milliseconds since the Unix epoch.');

// ---------------------------------------------------------------------------------------------
// Plans

const rateLimit = named(
  'RateLimit',
  z
    .strictObject({
      perSecond: z.number().gt(0).describe('Sustained requests per second per key.'),
      burst: z.int().min(1).describe('Requests a key may send at once after being idle.'),
    })
    .describe('GCRA rate limit applied per key.'),
);

const quotaUnit = z.enum(['requests', 'compute_units']);
const methodList = z.array(z.string().min(1).max(128));
const computeUnits = z
  .record(z.string().min(1).max(128), z.int().min(0))
  .describe('JSON-RPC method → compute units, over the built-in table.');

const planFields = {
  name,
  rateLimit,
  ratePerMethod: z
    .boolean()
    .describe('Apply the rate limit to each method of a key separately instead of to the key as a whole.'),
  monthlyQuota: z.int().min(1).describe('Monthly allowance in `quotaUnit`.'),
  quotaUnit,
  computeUnits,
  allowedNetworks: z.array(z.string().min(1).max(64)).describe('Absent: every network.'),
  allowedMethods: methodList.describe('Absent: every method.'),
  deniedMethods: methodList,
};

export const planCreateSchema = named(
  'PlanCreate',
  z.strictObject({
    name: planFields.name,
    rateLimit: planFields.rateLimit.exactOptional(),
    ratePerMethod: planFields.ratePerMethod.exactOptional(),
    monthlyQuota: planFields.monthlyQuota.exactOptional(),
    quotaUnit: planFields.quotaUnit.exactOptional(),
    computeUnits: planFields.computeUnits.exactOptional(),
    allowedNetworks: planFields.allowedNetworks.exactOptional(),
    allowedMethods: planFields.allowedMethods.exactOptional(),
    deniedMethods: planFields.deniedMethods.exactOptional(),
  }),
);

export const planPatchSchema = named(
  'PlanPatch',
  z
    .strictObject({
      name: planFields.name.exactOptional(),
      rateLimit: planFields.rateLimit.nullable().exactOptional(),
      ratePerMethod: planFields.ratePerMethod.nullable().exactOptional(),
      monthlyQuota: planFields.monthlyQuota.nullable().exactOptional(),
      quotaUnit: planFields.quotaUnit.nullable().exactOptional(),
      computeUnits: planFields.computeUnits.nullable().exactOptional(),
      allowedNetworks: planFields.allowedNetworks.nullable().exactOptional(),
      allowedMethods: planFields.allowedMethods.nullable().exactOptional(),
      deniedMethods: planFields.deniedMethods.nullable().exactOptional(),
    })
    .describe('Only the fields given change; `null` clears a field (or restores its default).'),
);

export const planSchema = named(
  'Plan',
  z.object({
    id: z.string(),
    name: z.string(),
    rateLimit: rateLimit.optional(),
    ratePerMethod: z.boolean(),
    monthlyQuota: z.int().optional(),
    quotaUnit,
    computeUnits: z.record(z.string(), z.int()),
    allowedNetworks: z.array(z.string()).optional(),
    allowedMethods: z.array(z.string()).optional(),
    deniedMethods: z.array(z.string()),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);

export const planListSchema = named('PlanList', z.object({ plans: z.array(planSchema) }));

// ---------------------------------------------------------------------------------------------
// Projects and credits

export const projectCreateSchema = named(
  'ProjectCreate',
  z.strictObject({
    name,
    plan: idOrName.describe('Id or name of the plan.'),
    credits: z
      .int()
      .min(0)
      .describe('Opening prepaid compute units; absent: no prepaid limit.')
      .exactOptional(),
  }),
);

export const projectPatchSchema = named(
  'ProjectPatch',
  z.strictObject({
    name: name.exactOptional(),
    plan: idOrName.describe('Id or name of the new plan.').exactOptional(),
  }),
);

export const creditsSchema = named(
  'CreditsChange',
  z.strictObject({
    amount: z
      .int()
      .refine((amount) => amount !== 0, 'must not be 0')
      .describe('Compute units to add; negative removes.'),
    reason: z.string().min(1).max(200).exactOptional(),
  }),
);

export const projectSchema = named(
  'Project',
  z.object({
    id: z.string(),
    name: z.string(),
    planId: z.string(),
    credits: z.int().describe('Prepaid compute units left; absent: no prepaid limit.').optional(),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);

export const projectListSchema = named('ProjectList', z.object({ projects: z.array(projectSchema) }));

// ---------------------------------------------------------------------------------------------
// API keys

export const keyCreateSchema = named(
  'KeyCreate',
  z.strictObject({
    project: idOrName.describe('Id or name of the project.'),
    name: z.string().max(64).exactOptional(),
  }),
);

export const keyRotateSchema = named(
  'KeyRotate',
  z
    .strictObject({
      graceSeconds: z
        .int()
        .min(0)
        .max(31_536_000)
        .describe('How long the old key keeps working; 0 (default) stops it now.')
        .exactOptional(),
    })
    .optional(),
);

export const keySchema = named(
  'ApiKey',
  z.object({
    id: z.string(),
    projectId: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the secret, to recognise it.'),
    createdAt: timestamp,
    expiresAt: timestamp.optional(),
    revokedAt: timestamp.optional(),
    rotatedFrom: z.string().describe('Id of the key this one replaced.').optional(),
  }),
);

export const keyListSchema = named('ApiKeyList', z.object({ keys: z.array(keySchema) }));

const secret = z.string().describe('The API key itself. Shown only in this response; store it now.');

export const issuedKeySchema = named('IssuedKey', z.object({ key: keySchema, secret }));

export const rotatedKeySchema = named(
  'RotatedKey',
  z.object({ key: keySchema, secret, previous: keySchema.describe('The replaced key, now expiring.') }),
);

export const keyListQuerySchema = z.strictObject({
  project: idOrName.describe('Only the keys of this project (id or name).').exactOptional(),
});

// ---------------------------------------------------------------------------------------------
// Usage

export const USAGE_DIMENSIONS = [
  'day',
  'project',
  'key',
  'network',
  'method',
  'outcome',
] as const satisfies readonly UsageDimension[];

const day = z.iso.date().describe('UTC day, YYYY-MM-DD, inclusive.');

export const usageQuerySchema = z
  .strictObject({
    project: idOrName.describe('Project id or name.').exactOptional(),
    key: z.string().min(1).describe('Key id.').exactOptional(),
    from: day.exactOptional(),
    to: day.exactOptional(),
    groupBy: z
      .string()
      .describe(`Comma-separated dimensions: ${USAGE_DIMENSIONS.join(', ')}. Absent: one total row.`)
      .transform((list) => list.split(','))
      .pipe(z.array(z.enum(USAGE_DIMENSIONS)))
      .exactOptional(),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    path: ['to'],
    message: 'must not be before from',
  });

export const usageRowSchema = named(
  'UsageRow',
  z
    .object({
      day: z.string().optional(),
      projectId: z.string().optional(),
      keyId: z.string().optional(),
      network: z.string().optional(),
      method: z.string().optional(),
      outcome: z
        .string()
        .describe('`ok`, `rpc_error` (the node answered a JSON-RPC error), or the gateway error code.')
        .optional(),
      requests: z.int(),
      computeUnits: z.int(),
      bytes: z.int(),
    })
    .describe('Totals for one combination of the grouped dimensions (only those are present).'),
);

export const usageSchema = named('Usage', z.object({ rows: z.array(usageRowSchema) }));

// ---------------------------------------------------------------------------------------------
// Errors and the document itself

export const errorSchema = named(
  'Error',
  z.object({
    error: z.object({
      code: z.string().describe('Stable code, e.g. ERR_ADMIN_NOT_FOUND (see docs/errors.md).'),
      message: z.string(),
      issues: z
        .array(z.object({ path: z.string().describe('e.g. `rateLimit.perSecond`'), message: z.string() }))
        .describe('The first 20 invalid fields (ERR_ADMIN_INVALID only).')
        .optional(),
      issueCount: z.number().int().describe('How many invalid fields there were in all.').optional(),
    }),
  }),
);

export const openApiSchema = named(
  'OpenApiDocument',
  z.record(z.string(), z.unknown()).describe('This document.'),
);
