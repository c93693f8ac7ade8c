#!/usr/bin/env bash
# Release dry run: everything `pnpm release` would publish, checked the way a user meets it.
#  1. a clean build, then `pnpm pack` of every publishable package into .tmp/release-dry-run;
#  2. each tarball: its contents (scripts/release/check-tarball.mjs), publint --strict, and
#     are-the-types-wrong;
#  3. the tarballs installed with plain npm into a scratch project outside the workspace (npm's
#     cache serves repeat runs; dependencies come from the npm registry), then
#     - examples/build-script run there (base `scratch`, push: false: no registry needed),
#     - examples/cdk8s (synthApp) and examples/pulumi (KoImage, under Pulumi's mocks through
#       test/pulumi/run-with-mocks.mjs) run there, pushing to a throw-away CNCF registry on
#       127.0.0.1 (`docker-registry`, which scripts/setup.sh installs),
#     - a CommonJS program that require()s the packages (Node's require(esm)),
#     - a consumer `tsc --noEmit` with skipLibCheck: false under module resolution node16,
#       nodenext (ESM and CJS files), bundler, and classic `module: commonjs` + `moduleResolution: node`,
#       with the workspace's TypeScript, and again with TypeScript 7 (what `npm i typescript`
#       gives a new user) except the classic one, which TypeScript 7 removed (TS5108).
# Every check runs even when an earlier one failed; the summary lists what failed and the exit
# status is non-zero then. Logs: .tmp/release-dry-run/*.log. TSKO_KEEP_SCRATCH=1 keeps the
# scratch project.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/.tmp/release-dry-run
go_dir=${TSKO_RIG_DIR:-$root/.tmp/rig}/go
rm -rf "$out" && mkdir -p "$out/tarballs"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tsko-release-consumer-XXXXXX")
[ -n "${TSKO_KEEP_SCRATCH:-}" ] || trap 'rm -rf "$scratch"' EXIT
failures=()
step() { echo; echo "== release-dry-run: $* (at ${SECONDS} s)"; }
failed() { failures+=("$1"); echo "release-dry-run: FAILED: $1" >&2; }

step "clean build (no stale dist files from moved sources can ship)"
rm -rf packages/*/dist packages/*/tsconfig.tsbuildinfo
pnpm --silent build || { echo "release-dry-run: the build failed" >&2; exit 1; }

step "pack"
mapfile -t publishable < <(node -e '
  const { readdirSync, readFileSync } = require("node:fs");
  for (const d of readdirSync("packages")) {
    const p = JSON.parse(readFileSync(`packages/${d}/package.json`, "utf8"));
    if (!p.private) console.log(d);
  }')
for p in "${publishable[@]}"; do
  (cd "packages/$p" && pnpm pack --pack-destination "$out/tarballs" >/dev/null) || failed "pnpm pack packages/$p"
done
tarballs=("$out"/tarballs/*.tgz)
ls -l "${tarballs[@]}"

step "tarball contents"
node scripts/release/check-tarball.mjs "${tarballs[@]}" || failed "tarball contents"

step "publint --strict"
for t in "${tarballs[@]}"; do
  pnpm exec publint run "$t" --strict || failed "publint $(basename "$t")"
done

step "are the types wrong"
# Profile `strict` checks every resolution mode: node10, node16 from CJS, node16 from ESM,
# bundler. One rule is ignored, honestly: `cjs-resolves-to-esm` says a require() from CJS lands
# on an ESM file, "which is an error in Node". It is not on the Node these packages support
# (engines >= 20.19, where require(esm) is unflagged); attw models Node 16 there. What that rule
# would protect is checked for real below: a CommonJS program require()s the installed
# packages, and a .cts file type-checks under `module: nodenext`. Every other rule stays on.
for t in "${tarballs[@]}"; do
  pnpm exec attw "$t" --profile strict --ignore-rules cjs-resolves-to-esm --format table-flipped --no-emoji \
    --no-color || failed "attw $(basename "$t")"
done

step "npm install of the tarballs into a scratch project ($scratch)"
cp -r scripts/release/consumer/. "$scratch/"
node -e '
  const { readFileSync } = require("node:fs");
  const [tarballs, root] = [process.argv.slice(2), process.argv[1]];
  const dependencies = {};
  for (const t of tarballs) dependencies[JSON.parse(require("node:child_process").execFileSync("tar",
    ["xzOf", t, "package/package.json"], { encoding: "utf8" })).name] = `file:${t}`;
  const version = (name, from = root) => JSON.parse(readFileSync(`${from}/node_modules/${name}/package.json`, "utf8")).version;
  // What the examples import besides tsko, at the versions the workspace tests them with.
  for (const name of ["cdk8s", "cdk8s-plus-32", "constructs"]) dependencies[name] = version(name, `${root}/examples/cdk8s`);
  dependencies["@pulumi/pulumi"] = version("@pulumi/pulumi", `${root}/examples/pulumi`);
  // The same TypeScript and @types/node the workspace builds with, so a failure is the tarballs.
  const devDependencies = { typescript: version("typescript"), "@types/node": version("@types/node"),
    typescript7: "npm:typescript@^7" };
  console.log(JSON.stringify({ name: "tsko-release-consumer", private: true, type: "module", dependencies, devDependencies }, null, 2));
' "$root" "${tarballs[@]}" >"$scratch/package.json"
if (cd "$scratch" && npm install --prefer-offline --no-audit --no-fund --loglevel=error) >"$out/npm-install.log" 2>&1; then
  # Each @tsko package must come from its tarball, never from the registry.
  node -e '
    const lock = require(process.argv[1] + "/package-lock.json");
    const bad = Object.entries(lock.packages).filter(([path, p]) => /node_modules\/@tsko\//.test(path) &&
      !(p.resolved ?? "").startsWith("file:") && !p.link);
    const nested = Object.keys(lock.packages).filter((path) => /node_modules\/.*node_modules\/@tsko\//.test(path));
    if (bad.length || nested.length) { console.error("not from the tarballs:", [...bad.map(([p]) => p), ...nested]); process.exit(1); }
    console.log("installed:", Object.keys(lock.packages).filter((p) => p.startsWith("node_modules/@tsko/")).join(", "));
  ' "$scratch" || failed "the scratch project resolved a @tsko package from somewhere else than its tarball"
  installed=1
else
  cat "$out/npm-install.log" >&2
  failed "npm install of the tarballs"
  installed=
fi

if [ -n "$installed" ]; then
  step "examples/build-script in the scratch project (base scratch, push: false)"
  mkdir -p "$scratch/examples" "$scratch/home"
  cp -r examples/hello "$scratch/examples/hello"
  mkdir -p "$scratch/examples/build-script"
  cp -r examples/build-script/resolve-config.mjs examples/build-script/config "$scratch/examples/build-script/"
  if (cd "$scratch" && env -u KO_DOCKER_REPO -u TSKO_BASE_IMAGE HOME="$scratch/home" GOCACHE="$go_dir/cache" \
    GOMODCACHE="$go_dir/mod" GOFLAGS=-buildvcs=false GOTOOLCHAIN=local \
    node examples/build-script/resolve-config.mjs "$scratch/resolved.yaml"); then
    if grep -q 'ko://' "$scratch/resolved.yaml" || ! grep -Eq 'image: \S+@sha256:[0-9a-f]{64}$' "$scratch/resolved.yaml"; then
      cat "$scratch/resolved.yaml" >&2
      failed "examples/build-script wrote no digest-pinned image"
    else
      grep -E 'image:' "$scratch/resolved.yaml"
    fi
  else
    failed "examples/build-script"
  fi

  step "examples/cdk8s and examples/pulumi in the scratch project, pushing to a throw-away registry"
  port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  printf 'version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: %s } }\nhttp: { addr: 127.0.0.1:%s, secret: dry-run }\n' \
    "$scratch/registry-data" "$port" >"$scratch/registry.yml"
  if command -v docker-registry >/dev/null; then
    docker-registry serve "$scratch/registry.yml" >"$out/registry.log" 2>&1 &
    registry_pid=$!
    # Ready when /v2/ answers (node, not curl: a fresh Debian has node here but maybe no curl).
    node -e 'const url = process.argv[1]; const t = Date.now();
      (async () => { while (Date.now() - t < 10000) { try { if ((await fetch(url)).ok) return; } catch {} await new Promise((r) => setTimeout(r, 100)); } process.exit(1); })();' \
      "http://127.0.0.1:$port/v2/" || failed "the throw-away registry did not start (see $out/registry.log)"
    example_env=(env -u TSKO_BASE_IMAGE HOME="$scratch/home" GOCACHE="$go_dir/cache" GOMODCACHE="$go_dir/mod"
      GOFLAGS=-buildvcs=false GOTOOLCHAIN=local KO_DOCKER_REPO="127.0.0.1:$port/dry-run" TSKO_BASE_IMAGE=scratch)
    mkdir -p "$scratch/examples/cdk8s" "$scratch/examples/pulumi"
    cp examples/cdk8s/main.mjs "$scratch/examples/cdk8s/"
    cp examples/pulumi/index.mjs examples/pulumi/Pulumi.yaml "$scratch/examples/pulumi/"
    cp test/pulumi/run-with-mocks.mjs "$scratch/"
    if (cd "$scratch/examples/cdk8s" && "${example_env[@]}" CDK8S_OUTDIR="$scratch/dist" node main.mjs); then
      if grep -hEq "image: 127\.0\.0\.1:$port/dry-run/\S+@sha256:[0-9a-f]{64}$" "$scratch"/dist/*.yaml; then
        grep -hE 'image:' "$scratch"/dist/*.yaml
      else
        failed "examples/cdk8s wrote no digest-pinned image to dist/"
      fi
    else
      failed "examples/cdk8s"
    fi
    if (cd "$scratch" && "${example_env[@]}" node run-with-mocks.mjs "$scratch/examples/pulumi/index.mjs" up) >"$out/pulumi.json"; then
      if grep -Eq "\"ref\":\"127\.0\.0\.1:$port/dry-run/[^\"]+@sha256:[0-9a-f]{64}\"" "$out/pulumi.json"; then
        echo "examples/pulumi: KoImage pushed $(grep -Eo 'sha256:[0-9a-f]{64}' "$out/pulumi.json" | head -n 1)"
      else
        cat "$out/pulumi.json" >&2
        failed "examples/pulumi pushed no image"
      fi
    else
      failed "examples/pulumi"
    fi
    kill "$registry_pid" 2>/dev/null
    wait "$registry_pid" 2>/dev/null
  else
    failed "docker-registry is not installed (scripts/setup.sh installs it)"
  fi

  step "CommonJS require() of the installed packages"
  (cd "$scratch" && node require.cjs) || failed "require() from CommonJS"

  step "consumer tsc --noEmit, skipLibCheck: false"
  for check in typescript:node16 typescript:nodenext typescript:bundler typescript:commonjs-node10 \
    typescript7:node16 typescript7:nodenext typescript7:bundler; do
    ts=${check%%:*} mode=${check#*:}
    log="$out/tsc-$ts-$mode.log"
    label="tsc $mode (TypeScript $(node -p "require('$scratch/node_modules/$ts/package.json').version"))"
    if (cd "$scratch" && node "node_modules/$ts/bin/tsc" -p "tsconfig.$mode.json") >"$log" 2>&1; then
      echo "$label: ok"
      continue
    fi
    errors=$(grep -cE 'error TS[0-9]+' "$log")
    in_zod=$(grep -E 'error TS[0-9]+' "$log" | grep -cE '^node_modules/zod/')
    head -n 20 "$log" | sed 's/^/    /'
    if [ "$errors" -gt 0 ] && [ "$errors" = "$in_zod" ]; then
      failed "$label: $errors errors, all inside zod's own .d.ts (zod types reach the public .d.ts; see $log)"
    else
      failed "$label: $errors errors ($in_zod inside zod's .d.ts; see $log)"
    fi
  done
fi

echo
if [ "${#failures[@]}" -gt 0 ]; then
  echo "release-dry-run: ${#failures[@]} check(s) failed:" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "release-dry-run: all checks passed (${#tarballs[@]} tarballs in $out/tarballs)"
