#!/usr/bin/env node
"use strict";
// Part of `npm run build` (scripts/build.cjs): the CrossGuard policy pack (policies/) as a folder that
// holds everything it needs, so it runs where nothing else of this repository is:
//
//   node scripts/build-policy-pack.cjs [OUT_DIR]      (default dist/policy-pack)
//
// OUT_DIR/index.js       policies/index.ts bundled by esbuild: the rule engine (core/, components/tokens,
//                        transports/target) and zod inside; @pulumi/policy and @pulumi/pulumi left as
//                        require()s (below)
// OUT_DIR/package.json   name and version from policies/package.json, main index.js, dependencies: only
//                        @pulumi/policy and @pulumi/pulumi at the versions policies/package.json pins
// OUT_DIR/PulumiPolicy.yaml  copied from policies/
//
// Why those two stay outside the bundle: the Pulumi CLI runs a Node.js pack through the language host's
// RunPlugin, which resolves `@pulumi/pulumi/cmd/run-policy-pack` FROM THE PACK FOLDER (pulumi/pulumi
// sdk/v3.248.0, sdk/nodejs/cmd/pulumi-language-nodejs/main.go: RunPlugin, locateModule), and that runner
// and @pulumi/policy must share one @pulumi/pulumi (one copy of the gRPC/proto modules). Why a bundle:
// `pulumi policy publish` runs `npm pack` on the pack folder alone (pkg/v3.248.0,
// pkg/backend/httpstate/policypack.go: cloudPolicyPack.Publish), and a pack required by Pulumi Cloud is
// unpacked and `npm install`ed on its own (installRequiredPolicy): nothing outside the folder ships.
// @pulumi/policy reads the pack's version from the package.json in its cwd (policy.js), so the version
// here is what GetAnalyzerInfo reports and what `pulumi policy publish` publishes.
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
/** Left to the pack folder's own node_modules (see above). */
const EXTERNAL = ["@pulumi/policy", "@pulumi/pulumi"];

class PackBuildError extends Error {}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new PackBuildError(`cannot read ${file}: ${e.message}`);
  }
}

/** The pack's package.json: checked against the root package.json so the bundle matches what was built and tested. */
function packManifest(root) {
  const rootPkg = readJson(path.join(root, "package.json"));
  const packPkg = readJson(path.join(root, "policies", "package.json"));
  if (packPkg.version !== rootPkg.version) {
    throw new PackBuildError(`policies/package.json "version" is ${JSON.stringify(packPkg.version)} but package.json "version" is ${JSON.stringify(rootPkg.version)}: keep them equal (the pack is released with the package)`);
  }
  const dependencies = {};
  for (const name of EXTERNAL) {
    const want = packPkg.dependencies && packPkg.dependencies[name];
    if (!want) throw new PackBuildError(`policies/package.json "dependencies" has no ${name}: the pack loads it at run time`);
    const built = (rootPkg.devDependencies && rootPkg.devDependencies[name]) || (rootPkg.dependencies && rootPkg.dependencies[name]);
    if (built && built !== want) {
      throw new PackBuildError(`policies/package.json "dependencies.${name}" is ${want} but package.json pins ${built} (the version the pack is built and tested with): make them equal`);
    }
    dependencies[name] = want;
  }
  return {
    name: packPkg.name,
    version: packPkg.version,
    description: "The wsus-iis CrossGuard policy pack (KB 920659), bundled: the rule engine and zod are inside index.js; only @pulumi/policy and @pulumi/pulumi are installed next to it.",
    license: packPkg.license || rootPkg.license,
    private: true,
    main: "index.js",
    dependencies,
  };
}

/**
 * Build the pack into `outDir` (replaced as a whole). Returns { outDir, files, bytes }.
 * Throws PackBuildError with a one-line message on a bad manifest or a bundle error.
 */
async function buildPolicyPack({ root = ROOT, outDir = path.join(root, "dist", "policy-pack") } = {}) {
  const manifest = packManifest(root);
  let esbuild;
  try {
    esbuild = require("esbuild");
  } catch (e) {
    throw new PackBuildError(`esbuild is not installed (a devDependency): run npm ci (${e.message})`);
  }
  const tmp = `${outDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: [path.join(root, "policies", "index.ts")],
      tsconfig: path.join(root, "policies", "tsconfig.json"),
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      external: EXTERNAL,
      outfile: path.join(tmp, "index.js"),
      sourcemap: true,
      sourcesContent: false,
      logLevel: "silent",
    }).catch((e) => {
      const first = e.errors && e.errors[0];
      const where = first && first.location ? `${first.location.file}:${first.location.line}: ` : "";
      throw new PackBuildError(`bundling policies/index.ts failed: ${where}${first ? first.text : e.message}`);
    });
    fs.writeFileSync(path.join(tmp, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
    fs.copyFileSync(path.join(root, "policies", "PulumiPolicy.yaml"), path.join(tmp, "PulumiPolicy.yaml"));
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(outDir), { recursive: true });
    fs.renameSync(tmp, outDir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const files = fs.readdirSync(outDir).sort();
  return { outDir, files, bytes: fs.statSync(path.join(outDir, "index.js")).size };
}

module.exports = { buildPolicyPack, packManifest, PackBuildError, EXTERNAL };

if (require.main === module) {
  const out = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
  buildPolicyPack({ outDir: out }).then(
    (r) => console.log(`policy pack: ${path.relative(process.cwd(), r.outDir) || "."} (${r.files.join(", ")}; index.js ${Math.round(r.bytes / 1024)} KiB)`),
    (e) => {
      console.error(e instanceof PackBuildError ? `build-policy-pack: ${e.message}` : e);
      process.exit(1);
    },
  );
}
