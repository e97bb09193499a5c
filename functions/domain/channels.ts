import * as z from 'zod';

/**
 * A service's auto-upgrade channel: which published versions it moves to by itself.
 * `none` never admits anything, so callers may pass a service's setting straight through.
 */
export const AUTO_UPGRADE_CHANNELS = ['none', 'patch', 'stable', 'rapid', 'security-only'] as const;
export const AutoUpgradeChannel = z.enum(AUTO_UPGRADE_CHANNELS).meta({ id: 'AutoUpgradeChannel' });
export type AutoUpgradeChannel = z.infer<typeof AutoUpgradeChannel>;

/**
 * The release channels a version is published on: `stable` for general use, `rapid`
 * for early adopters (pre-releases may only go there). A closed list, so a filter or a
 * profile that names a channel that cannot exist is refused instead of matching nothing.
 */
export const RELEASE_CHANNELS = ['stable', 'rapid'] as const;
export const ReleaseChannel = z.enum(RELEASE_CHANNELS).meta({ id: 'ReleaseChannel' });
export type ReleaseChannel = z.infer<typeof ReleaseChannel>;
