import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { openApiDocument, type OperationId } from '../../openapi/openapi.ts';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi', components: openApiDocument.components }, undefined, undefined, false);

interface Operation {
  path: string;
  method: string;
  body?: ValidateFunction;
  params?: ValidateFunction;
}

function findOperation(operationId: OperationId): { path: string; method: string; op: Record<string, unknown> } {
  for (const [path, item] of Object.entries(openApiDocument.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      if (op.operationId === operationId) return { path, method, op };
    }
  }
  throw new Error(`operation ${operationId} is not in the OpenAPI document`);
}

const compiled = new Map<OperationId, Operation>();

/** The ajv validators of an operation's path parameters and JSON body, compiled once. */
export function operation(operationId: OperationId): Operation {
  const known = compiled.get(operationId);
  if (known) return known;
  const { path, method, op } = findOperation(operationId);
  const result: Operation = { path, method };
  const parameters = (op.parameters ?? []) as Array<{ name: string; in: string; required?: boolean; schema: object }>;
  const pathParams = parameters.filter((p) => p.in === 'path');
  if (pathParams.length) {
    result.params = ajv.compile({
      type: 'object',
      required: pathParams.filter((p) => p.required).map((p) => p.name),
      properties: Object.fromEntries(pathParams.map((p) => [p.name, p.schema])),
    });
  }
  const body = (op.requestBody as { content?: Record<string, { schema: { $ref: string } }> } | undefined)?.content?.['application/json']?.schema;
  if (body) result.body = ajv.compile({ $ref: `openapi${body.$ref}` });
  compiled.set(operationId, result);
  return result;
}

export interface ValidationDetail {
  where: string;
  message: string;
}

export function describeErrors(where: 'body' | 'path', errors: ErrorObject[] | null | undefined): ValidationDetail[] {
  return (errors ?? []).slice(0, 10).map((e) => {
    const at = `${where}${e.instancePath.replaceAll('/', '.')}`;
    if (e.keyword === 'additionalProperties') return { where: at, message: `unknown field "${String(e.params.additionalProperty)}"` };
    if (e.keyword === 'pattern' && e.instancePath.endsWith('/id')) return { where: at, message: 'must be a positive integer id' };
    return { where: at, message: e.message ?? e.keyword };
  });
}
