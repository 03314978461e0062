import { describe, expect, it } from 'vitest';
import { convertOpenApi, schemaDirName, schemaFileName } from '../../kubeconform-schemas.ts';

// A trimmed /openapi/v2 document: a Deployment with metadata, an IntOrString, a Quantity, and a CRD type.
const swagger = {
  swagger: '2.0',
  definitions: {
    'io.k8s.api.apps.v1.Deployment': {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
        spec: { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec' },
      },
      'x-kubernetes-group-version-kind': [{ group: 'apps', kind: 'Deployment', version: 'v1' }],
    },
    'io.k8s.api.apps.v1.DeploymentSpec': {
      type: 'object',
      required: ['selector'],
      properties: {
        replicas: { type: 'integer', format: 'int32' },
        selector: { type: 'object', properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } } },
        maxSurge: { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' },
        cpu: { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' },
      },
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
      type: 'object',
      properties: { name: { type: 'string' }, ownerReferences: { type: 'array', items: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' } } },
    },
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
    'io.k8s.api.core.v1.Namespace': {
      type: 'object',
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' } },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Namespace', version: 'v1' }],
    },
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': { type: 'object' },
  },
};

describe('kubeconform schemas from /openapi/v2', () => {
  it('names files and directories as kubeconform looks them up', () => {
    expect(schemaFileName('io.k8s.api.apps.v1.Deployment')).toBe('deployment-apps-v1');
    expect(schemaFileName('io.k8s.api.core.v1.Namespace')).toBe('namespace-v1');
    expect(schemaFileName('io.k8s.api.policy.v1.PodDisruptionBudget')).toBe('poddisruptionbudget-policy-v1');
    expect(schemaFileName('io.k8s.api.rbac.v1.ClusterRole')).toBe('clusterrole-rbac-v1');
    expect(schemaDirName('v1.37.2', true)).toBe('v1.37.2-standalone-strict');
    expect(schemaDirName('1.37.2', false)).toBe('v1.37.2-standalone');
  });

  it('inlines every $ref, pins apiVersion/kind, and closes objects in strict mode', () => {
    const { schemas, skipped, cycles } = convertOpenApi(swagger, { strict: true });
    expect(skipped).toEqual(['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps']);
    const d = schemas.get('deployment-apps-v1') as any;
    expect(JSON.stringify(d)).not.toContain('$ref');
    expect(d.additionalProperties).toBe(false);
    expect(d.properties.apiVersion).toEqual({ type: ['string', 'null'], enum: ['apps/v1'] });
    expect(d.properties.kind.enum).toEqual(['Deployment']);
    expect(d.properties.spec.additionalProperties).toBe(false);
    expect(d.properties.spec.properties.selector.additionalProperties).toBe(false);
    expect(d.properties.spec.properties.maxSurge).toEqual({ oneOf: [{ type: 'string' }, { type: 'integer' }] });
    expect(d.properties.spec.properties.cpu).toEqual({ oneOf: [{ type: 'string' }, { type: 'number' }] });
    // The recursive ObjectMeta → ownerReferences → ObjectMeta reference is cut, not followed forever.
    expect(cycles).toBeGreaterThan(0);
    expect(schemas.get('namespace-v1')!.properties).toMatchObject({ apiVersion: { enum: ['v1'] }, kind: { enum: ['Namespace'] } });
  });

  it('leaves objects open without strict', () => {
    const { schemas } = convertOpenApi(swagger, { strict: false });
    const d = schemas.get('deployment-apps-v1') as any;
    expect(d.additionalProperties).toBeUndefined();
    expect(d.properties.spec.additionalProperties).toBeUndefined();
  });

  it('refuses a document without definitions', () => {
    expect(() => convertOpenApi({ openapi: '3.0.0' }, { strict: true })).toThrow(/no definitions/);
  });
});
