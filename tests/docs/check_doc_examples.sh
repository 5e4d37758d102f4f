#!/usr/bin/env bash
# Checks the example pipelines in the documentation.
#
# Usage: check_doc_examples.sh EDGEFLOW_BINARY DOCS_DIR
#
# Every ```yaml (or ```yml) block of every DOCS_DIR/**/*.md file that has a
# top-level `sources:` line is a pipeline: it is written to a temporary file
# and `EDGEFLOW_BINARY check` is run on it from the repository root, so
# relative paths such as examples/data/air_quality.csv resolve. A block whose
# fence is preceded by the line `<!-- no-check -->` (blank lines in between
# are allowed) is skipped: use it for fragments and for intentionally wrong
# examples.
#
# Prints one line per block (ok, FAIL or skip, with FILE:LINE of the block's
# opening fence; a failure is followed by the checker's messages, their
# positions translated to the Markdown file) and ends with the line
# `N passed, M failed`. Exits 1 when a block fails (or none was found), 2 on
# bad usage.
set -uo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 EDGEFLOW_BINARY DOCS_DIR" >&2
  exit 2
fi

abs_path() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }

bin="$1"
docs="$2"
if [[ ! -x "$bin" ]]; then
  echo "error: '$bin' is not an executable" >&2
  exit 2
fi
if [[ ! -d "$docs" ]]; then
  echo "error: '$docs' is not a directory" >&2
  exit 2
fi
bin="$(abs_path "$bin")"
docs="$(cd "$docs" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Secrets the examples read from the environment (password_env: ...).
export MQTT_PASSWORD=docs-example

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Splits one Markdown file into blocks: for every yaml block with a top-level
# `sources:` line, writes $tmp/blocks/<n>.yaml and prints
# "<n> <line of the opening fence> <check|skip>".
extract() {
  awk -v out="$tmp/blocks" -v start="$2" '
    function flush() {
      if (has_sources) {
        ++n
        file = out "/" n ".yaml"
        printf "%s", body > file
        close(file)
        print n, fence_line, (skip ? "skip" : "check")
      }
    }
    { sub(/\r$/, "") }
    in_block {
      line = $0
      if (line ~ /^[ \t]*```+[ \t]*$/) {
        flush()
        in_block = 0
        last = ""
        next
      }
      # Drop the fence indentation (blocks nested in list items).
      if (indent > 0 && substr(line, 1, indent) ~ /^[ \t]*$/) line = substr(line, indent + 1)
      body = body line "\n"
      if (line ~ /^sources:([ \t]|$)/) has_sources = 1
      next
    }
    /^[ \t]*```/ {
      fence = $0
      match(fence, /^[ \t]*/)
      indent = RLENGTH
      info = substr(fence, indent + 1)
      sub(/^`+[ \t]*/, "", info)
      if (info ~ /^(yaml|yml)([ \t{]|$)/) {
        in_block = 1
        body = ""
        has_sources = 0
        fence_line = NR
        skip = (last ~ /^[ \t]*<!--[ \t]*no-check[ \t]*-->[ \t]*$/)
      } else {
        # Another language: skip to its closing fence.
        while ((getline nextline) > 0) {
          sub(/\r$/, "", nextline)
          if (nextline ~ /^[ \t]*```+[ \t]*$/) break
        }
        last = ""
      }
      next
    }
    $0 !~ /^[ \t]*$/ { last = $0 }
    BEGIN { n = start }
  ' "$1"
}

mkdir -p "$tmp/blocks"
passed=0
failed=0
skipped=0
count=0

cd "$root" || exit 2
while IFS= read -r md; do
  rel="${md#"$root"/}"
  while read -r n line mode; do
    count=$n
    where="$rel:$line"
    if [[ $mode == skip ]]; then
      echo "skip $where (no-check)"
      skipped=$((skipped + 1))
      continue
    fi
    block="$tmp/blocks/$n.yaml"
    if output="$("$bin" check "$block" 2>&1)"; then
      echo "ok   $where"
      passed=$((passed + 1))
    else
      echo "FAIL $where"
      # block.yaml:L:C: ... -> doc.md:(fence + L):C: ...
      printf '%s\n' "$output" | awk -v f="$block" -v doc="$rel" -v base="$line" '{
        if (index($0, f ":") == 1) {
          rest = substr($0, length(f) + 2)
          if (match(rest, /^[0-9]+/)) {
            $0 = doc ":" (base + substr(rest, 1, RLENGTH)) substr(rest, RLENGTH + 1)
          } else {
            $0 = doc ":" rest
          }
        }
        print "     " $0
      }'
      failed=$((failed + 1))
    fi
  done < <(extract "$md" "$count")
done < <(find -H "$docs" -name '*.md' -type f | LC_ALL=C sort)

if [[ $((passed + failed)) -eq 0 ]]; then
  echo "error: no pipeline examples found under $docs" >&2
fi
[[ $skipped -gt 0 ]] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $((passed + failed)) -gt 0 ]]
