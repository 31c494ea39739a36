import type * as pulumi from "@pulumi/pulumi";
import type * as Runtime from "./runtime";

/**
 * The WsusIisServer dynamic provider as the Pulumi engine runs it.
 *
 * `new WsusIisServer(...)` serializes this object (Pulumi's closure serializer) into the resource's
 * `__provider` property; the `pulumi-resource-pulumi-nodejs` plugin later revives that text with
 * `require-from-string` and calls its methods, with the project directory as its cwd. The serializer
 * walks every captured value by value (only CommonJS modules found in require.cache become
 * `require(...)`), so this file captures nothing but the small `runtime` and `refuseStaleBuild`
 * functions below: zod, execa and the project's own modules are loaded inside the plugin, lazily, from
 * `wsus-iis/provider-runtime` (package.json "exports", resolved from the plugin's cwd: the package
 * itself when the program lives in this repository, node_modules/wsus-iis in a user project).
 * WSUS_IIS_PROVIDER_RUNTIME overrides the specifier (a package subpath or an absolute file path) for
 * layouts where cwd cannot resolve it. A runtime from a build older than the sources next to it is
 * refused (provider/freshness.ts).
 *
 * Keep it that way: no module-level imports used at run time, no captured schemas or clients.
 */
async function runtime(): Promise<typeof Runtime> {
  const specifier = process.env.WSUS_IIS_PROVIDER_RUNTIME || "wsus-iis/provider-runtime";
  let m: typeof Runtime & { default?: typeof Runtime };
  try {
    try {
      // `as string`: resolved at run time from the plugin's cwd, not by the compiler (dist may not exist yet).
      m = (await import(specifier as string)) as typeof Runtime & { default?: typeof Runtime };
    } catch (first) {
      // An absolute Windows path is not an ESM specifier: retry as a file: URL.
      if (!/^(?:\/|[A-Za-z]:[\\/])/.test(specifier)) throw first;
      const url = (await import("node:url")).pathToFileURL(specifier).href;
      m = (await import(url as string)) as typeof Runtime & { default?: typeof Runtime };
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const err = new Error(
      `wsus-iis: cannot load the provider runtime "${specifier}" from ${process.cwd()} (${why}). The Pulumi plugin resolves it ` +
        `from the project directory: add wsus-iis to the project's dependencies and build it (dist/), or set WSUS_IIS_PROVIDER_RUNTIME.`,
    );
    err.stack = err.message;
    throw err;
  }
  await refuseStaleBuild(specifier);
  return typeof m.check === "function" ? m : (m.default as typeof Runtime);
}

/**
 * A runtime loaded from a build (`<root>/dist/provider/runtime.js`) runs only if that dist/ is not
 * older than the TypeScript sources next to it (a source checkout, `npm link`, a `file:` dependency):
 * otherwise stale code would converge servers silently. The check is provider/freshness.ts, loaded
 * from next to the runtime (the build's own copy, dist/provider/freshness.js); an installed package
 * has no sources and passes. Like `runtime`, it captures nothing: Node's modules are imported inside.
 */
async function refuseStaleBuild(specifier: string): Promise<void> {
  const path = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  let file: string;
  try {
    // The file `import(specifier)` loaded: the same resolution from the plugin's cwd (package
    // "exports" has only the "default" condition, so require and import agree).
    file = /^(?:\/|[A-Za-z]:[\\/])/.test(specifier)
      ? specifier
      : (await import("node:module")).createRequire(path.join(process.cwd(), "[wsus-iis provider]")).resolve(specifier);
  } catch {
    return; // loaded, but not resolvable as a file (a custom loader): no build to judge
  }
  const dir = path.dirname(path.resolve(file));
  if (path.basename(dir) !== "provider" || path.basename(path.dirname(dir)) !== "dist") return; // not a build
  const checker = path.join(dir, "freshness.js");
  let freshness: { assertFreshBuild?: (dir: string) => void; default?: { assertFreshBuild?: (dir: string) => void } };
  try {
    freshness = await import(pathToFileURL(checker).href);
  } catch {
    const err = new Error(`wsus-iis: dist/ is older than its sources (${checker} is missing: the build predates this provider): run npm run build in ${path.dirname(path.dirname(dir))}`);
    err.stack = err.message;
    throw err;
  }
  const assertFreshBuild = freshness.assertFreshBuild ?? freshness.default?.assertFreshBuild;
  if (typeof assertFreshBuild === "function") assertFreshBuild(dir);
}

export const wsusIisProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return (await runtime()).check(olds, news);
  },
  async diff(id, olds, news) {
    const r = await (await runtime()).diff(id, olds, news);
    return { changes: r.changes, replaces: r.replaces, deleteBeforeReplace: r.deleteBeforeReplace };
  },
  async create(inputs) {
    return (await runtime()).create(inputs);
  },
  async read(id, props) {
    return (await runtime()).read(id, props);
  },
  async update(id, olds, news) {
    return (await runtime()).update(id, olds, news);
  },
  async delete(id, props) {
    await (await runtime()).deleteResource(id, props);
  },
};
