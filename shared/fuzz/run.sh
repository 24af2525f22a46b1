#!/usr/bin/env bash
# Fuzzes trailwatch's input path with cargo-fuzz (libFuzzer).
#
# Usage: shared/fuzz/run.sh [TARGET] [RUNS]
#   TARGET  replay_bytes | mutated_record | rule_pattern | all   (default: all, one after the other)
#   RUNS    executions per target                     (default: 10000000)
#
# Targets (see shared/fuzz/src/lib.rs for the invariants they check):
#   replay_bytes    arbitrary bytes as a replay input (plain or gzip), with small limits
#                   (64 KiB per record, 1 MiB per file), through the reader, the record
#                   parser, the engine and every rendering of every finding.
#   mutated_record  structured mutations of the records under events/ (wrong types,
#                   missing fields, strings up to 1 MiB, nesting up to 400 levels,
#                   invalid UTF-8, out-of-range numbers, duplicate keys, lone surrogate
#                   escapes, hostile text), each fed as JSON lines, as EventBridge
#                   envelopes and as a Records file.
#   rule_pattern    arbitrary text as the event pattern of an EventBridge rule someone
#                   puts: read by rules::matcher, then in a PutRule record through the
#                   whole pipeline (eventbridge-rule-on-identity-creation judges it).
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). libFuzzer's
# instrumentation flags are unstable: with no nightly toolchain, the script lets
# the stable one accept them (RUSTC_BOOTSTRAP=1); set CARGO_FUZZ="cargo +nightly
# fuzz" to use a nightly toolchain instead. The seed corpus is built here from events/
# at every run (corpus/ is not committed); crashes land in artifacts/<target>/ and
# can be replayed with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir shared/fuzz --features libfuzzer -s none -a <target> <artifact>
# (slow: without the profile settings below, the workspace's release profile, fat LTO)
#
# Flags: one process per target (no -jobs: libFuzzer's job mode would fork and log
# to files), -timeout=10 (seconds per input), -rss_limit_mb=512 (2048 under ASan,
# whose quarantine of freed blocks alone passed 512 MB on replay_bytes' seed corpus),
# -max_len 128 KiB (replay_bytes) or 512 bytes with -len_control=0 (mutated_record:
# the input only chooses up to 8 mutations, the harness builds the large values). The build uses debug
# assertions (so integer overflow panics) and no sanitizer: trailwatch's only unsafe
# code is SIMD loads within checked bounds (the prefilter's key search, the plain
# reader's quote map), the prefilter taking values of a text it saw to be ASCII as
# UTF-8 unchecked (debug-asserted, so fuzzed), and the allocator shim, and without ASan runs are several
# times faster. Set SANITIZER=address to fuzz with AddressSanitizer instead. Extra libFuzzer flags can be passed in
# FUZZ_FLAGS (e.g. FUZZ_FLAGS="-seed=1").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="${1:-all}"
runs="${2:-10000000}"
sanitizer="${SANITIZER:-none}"
rss_limit_mb=512
if [ "$sanitizer" != none ]; then
  rss_limit_mb=2048
fi

case "$target" in
  all) targets=(replay_bytes mutated_record rule_pattern) ;;
  replay_bytes | mutated_record | rule_pattern) targets=("$target") ;;
  *) echo "usage: $0 [replay_bytes|mutated_record|rule_pattern|all] [RUNS]" >&2; exit 2 ;;
esac

read -r -a fuzz <<<"${CARGO_FUZZ:-cargo fuzz}"
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
if ! "${fuzz[@]}" --version >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
  exit 2
fi

# Seed corpus for replay_bytes: every sample file as is and gzip-compressed, each
# sample directory as one concatenated file, and a few degenerate inputs.
seed_replay_bytes() {
  local dir="$here/corpus/replay_bytes"
  mkdir -p "$dir"
  local f name
  for f in "$repo"/events/*/*.json; do
    name="$(basename "$(dirname "$f")")-$(basename "$f" .json)"
    cp "$f" "$dir/$name.json"
    gzip -c -n "$f" >"$dir/$name.json.gz"
  done
  for d in "$repo"/events/*/; do
    cat "$d"*.json >"$dir/$(basename "$d")-all.json"
  done
  printf '' >"$dir/empty"
  printf '[]\n' >"$dir/empty-array"
  printf '{"Records":[]}\n' >"$dir/empty-records"
  printf '\x1f\x8b' >"$dir/gzip-magic-only"
}

# Seed corpus for mutated_record: one input per sample file (two little-endian
# bytes choose the sample; no mutation), so every sample is reached at once.
seed_mutated_record() {
  local dir="$here/corpus/mutated_record"
  mkdir -p "$dir"
  local n i
  n=$(ls "$repo"/events/*/*.json | wc -l)
  for ((i = 0; i < n; i++)); do
    printf "\\x$(printf %02x $((i % 256)))\\x$(printf %02x $((i / 256)))" >"$dir/sample-$i"
  done
}

# Seed corpus for rule_pattern: the event patterns of the PutRule samples and of
# trailwatch's own rules (template.yaml), one per file, and a few operators alone.
seed_rule_pattern() {
  local dir="$here/corpus/rule_pattern"
  mkdir -p "$dir"
  python3 - "$repo" "$dir" <<'PY'
import json, pathlib, re, sys
repo, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
patterns = []
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "eventPattern" and isinstance(x, str):
                patterns.append(x)
            else:
                walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
for f in sorted(repo.glob("events/*/*.json")):
    walk(json.loads(f.read_text()))
patterns += re.findall(r"^ *Pattern: (\{.*\})$", (repo / "template.yaml").read_text(), re.M)
patterns += ['{"detail":{"eventName":[{"wildcard":"Create*"}]}}', '{"source":[{"prefix":"aws."}]}',
             '{"detail":{"$or":[{"eventName":["CreateUser"]},{"eventName":[{"anything-but":"x"}]}]}}',
             '{"detail":{"eventName":[{"equals-ignore-case":"createrole"}],"x":[{"exists":false}],"n":[{"numeric":[">",0]}]}}']
for i, p in enumerate(patterns):
    (out / f"pattern-{i}").write_text(p)
PY
}

# The fuzz crate is a member of the workspace, whose release profile (fat LTO,
# one codegen unit, stripped) suits Lambda binaries, not fuzzing: libFuzzer's
# reports need symbols and a build should not take an LTO. Its build output stays
# in shared/fuzz/target, apart from the workspace's.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=1

cd "$repo/shared"
for t in "${targets[@]}"; do
  "seed_$t"
  case "$t" in
    replay_bytes) max_len=131072 extra="" build="" ;;
    # The input only picks mutations: comparison tracing would guide little and
    # costs two thirds of the time.
    mutated_record) max_len=512 extra="-len_control=0" build="--no-trace-compares" ;;
    rule_pattern) max_len=4096 extra="" build="" ;;
  esac
  mkdir -p "$here/artifacts/$t"
  echo "== $t: $runs runs (sanitizer: $sanitizer, max_len $max_len)" >&2
  # shellcheck disable=SC2086
  "${fuzz[@]}" run --fuzz-dir "$here" --features libfuzzer --target-dir "$here/target" \
    -s "$sanitizer" -a $build "$t" \
    "$here/corpus/$t" -- \
    -runs="$runs" -max_len="$max_len" -timeout=10 -rss_limit_mb="$rss_limit_mb" \
    -print_final_stats=1 $extra \
    -artifact_prefix="$here/artifacts/$t/" ${FUZZ_FLAGS:-}
done
