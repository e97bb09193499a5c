import * as z from 'zod';

/**
 * A service's auto-upgrade channel: which published versions it moves to by itself.
 * `none` never admits anything, so callers may pass a service's setting straight through.
 */
export const AUTO_UPGRADE_CHANNELS = ['none', 'patch', 'stable', 'rapid', 'security-only'] as const;
export const AutoUpgradeChannel = z.enum(AUTO_UPGRADE_CHANNELS);
export type AutoUpgradeChannel = z.infer<typeof AutoUpgradeChannel>;

/**
 * The release channel a version is published on (`stable`, `rapid`, or a name of the
 * platform's own): open-ended, so only its form is checked.
 */
export const ReleaseChannel = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a channel name such as stable or rapid');
