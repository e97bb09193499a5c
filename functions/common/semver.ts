/**
 * The parts of `semver` Sluice uses, each from its own file: `import semver from 'semver'`
 * pulls in the whole package (its index requires every function and range helper, about
 * 29 kB minified, in every Lambda bundle), which esbuild cannot shake out of CommonJS.
 */
import coerce from 'semver/functions/coerce.js';
import compare from 'semver/functions/compare.js';
import compareBuild from 'semver/functions/compare-build.js';
import parse from 'semver/functions/parse.js';
import prerelease from 'semver/functions/prerelease.js';
import satisfies from 'semver/functions/satisfies.js';
import valid from 'semver/functions/valid.js';
import validRange from 'semver/ranges/valid.js';

export const semver = { coerce, compare, compareBuild, parse, prerelease, satisfies, valid, validRange };
