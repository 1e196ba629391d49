#!/usr/bin/env bash
# Does what Appwrite's builder does with appwrite.json, on a copy of the tracked files: run each
# function's build `commands` with bash, then load its `entrypoint` with plain Node and check the
# default export is the open-runtimes handler. Proves `appwrite push functions` works from a clean
# checkout with no hand-copied files.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$work"

node -e '
  const config = require(process.argv[1]);
  for (const fn of config.functions) console.log([fn.$id, fn.path ?? ".", fn.entrypoint, fn.commands].join("\t"));
' "$PWD/appwrite.json" | while IFS=$'\t' read -r id path entrypoint commands; do
  echo "-- appwrite function $id: $commands"
  (cd "$work/$path" && bash -c "$commands" >/dev/null)
  (cd "$work/$path" && node --input-type=module -e '
    const mod = await import(process.argv[1]);
    if (typeof mod.default !== "function") { console.error("entrypoint has no default function export"); process.exit(1); }
  ' "./$entrypoint")
  for heavy in wrangler workerd vitest typescript; do
    if [ -d "$work/$path/node_modules/$heavy" ]; then echo "dev dependency $heavy was shipped" >&2; exit 1; fi
  done
  echo "   entrypoint $entrypoint loads; deployment size $(du -sh --exclude=.git "$work/$path" | cut -f1)"
done
