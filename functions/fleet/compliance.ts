import type { ComplianceView } from './compliance-schemas.js';

/** Compliance (docs/architecture.md#compliance): how much of a tenant's fleet runs a version or newer. */
export interface ComplianceReport {
  of(tenantId: string, query: { componentId: string; version?: string }): Promise<ComplianceView>;
}

// TODO(helper): use case.
export function makeCompliance(): ComplianceReport {
  return { of: () => Promise.reject(new Error('compliance is not built yet')) };
}
