import type { Clock } from '../common/clock.js';
import { NotFoundError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import type { Page } from '../common/pagination.js';
import type { ReleaseChannel } from '../domain/channels.js';
import type { CatalogRepository } from './catalog-repository.js';
import type { CatalogVersion, Component, Version } from './schemas.js';
import { checkUpgradePath, type UpgradePathResult } from './version-policy.js';

/** What a platform admin publishes: a version and its policy facts. */
export type PublishVersionInput = CatalogVersion;

/** The catalog use cases: components, versions and the path check. */
export interface Catalog {
  createComponent(input: { name: string; description?: string }): Promise<Component>;
  getComponent(componentId: string): Promise<Component>;
  listComponents(page: { limit: number; nextToken?: string; name?: string }): Promise<Page<Component>>;
  publishVersion(componentId: string, input: PublishVersionInput, publishedBy: string): Promise<Version>;
  listVersions(componentId: string, page: { limit: number; nextToken?: string; channel?: ReleaseChannel }): Promise<Page<Version>>;
  checkUpgradePath(componentId: string, from: string, to: string): Promise<UpgradePathResult>;
}

export function makeCatalog({ catalog, clock }: { catalog: CatalogRepository; clock: Clock }): Catalog {
  const requireComponent = async (componentId: string): Promise<Component> => {
    const component = await catalog.getComponent(componentId);
    if (!component) throw new NotFoundError(`Component ${componentId} was not found.`);
    return component;
  };

  return {
    async createComponent({ name, description }) {
      const component: Component = {
        componentId: newId('cmp'),
        name,
        ...(description === undefined ? {} : { description }),
        createdAt: clock.now().toISOString(),
      };
      await catalog.createComponent(component);
      return component;
    },

    getComponent: requireComponent,

    listComponents: (page) => catalog.listComponents(page),

    async publishVersion(componentId, input, publishedBy) {
      await requireComponent(componentId);
      const version: Version = {
        ...input,
        versionId: newId('ver'),
        componentId,
        publishedAt: clock.now().toISOString(),
        publishedBy,
      };
      await catalog.putVersion(version);
      return version;
    },

    async listVersions(componentId, page) {
      await requireComponent(componentId);
      return catalog.listVersions(componentId, page);
    },

    async checkUpgradePath(componentId, from, to) {
      await requireComponent(componentId);
      return checkUpgradePath({ from, to, versions: await catalog.allVersions(componentId) });
    },
  };
}
