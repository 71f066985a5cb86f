#!/usr/bin/env bash
# A/B of two service builds with bench/writes: run.sh on each build in turn, one provider at a time, the order
# swapped every round (new, old; old, new; …), then each figure's runs and each build's mean. On this 2-core machine
# one run of one build moves by ±20 % between runs (docs/writes.md), so a change is judged against the spread of its
# own build's runs, never one pair.
# Usage: bash bench/writes/ab.sh OLD_DLL NEW_DLL [ROUNDS=2]
#   OLD_DLL/NEW_DLL: Concert.WebApi.dll of each build (copy a Release build aside before building the other one).
#   Every setting of run.sh applies to each run (QUICK=1 by default here, WRITES_PROVIDERS, WRITES_PAY, …);
#   BENCH_CONNECTIONS=1 BENCH_THREADS=1 measures each write alone (the writer gate's mean hold is then its own cost).
#   On PostgreSQL the bench's connection string, not each build's own default, decides the Npgsql settings
#   (WRITES_PG_CS_EXTRA): both builds run with the same ones.
set -euo pipefail
old=$(realpath -e "${1:?usage: ab.sh OLD_DLL NEW_DLL [ROUNDS]}") new=$(realpath -e "${2:?usage: ab.sh OLD_DLL NEW_DLL [ROUNDS]}")
rounds=${3:-2}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(mktemp -d "${TMPDIR:-/tmp}/concert-ab.XXXXXX")"
figures="$out/figures.tsv"   # provider, build, round, figure, value
: >"$figures"
failed=0

for provider in ${WRITES_PROVIDERS:-sqlite postgres}; do
  for round in $(seq 1 "$rounds"); do
    order="new old"; ((round % 2)) || order="old new"
    for build in $order; do
      dll=$old; [[ $build == new ]] && dll=$new
      log="$out/$provider-$build-$round.log"
      echo "[ab $(date +%T)] $provider, $build build, round $round" >&2
      if ! SERVICE_DLL="$dll" QUICK="${QUICK:-1}" WRITES_PROVIDERS="$provider" WRITES_GATE_AB=0 bash "$here/run.sh" >"$log" 2>&1; then
        echo "[ab] that run failed (its log: $log); its figures are left out" >&2
        failed=$((failed + 1))
        continue
      fi
      # The results table's rates, and the writer gate's mean hold per turn (SQLite).
      awk -F'|' -v p="$provider" -v b="$build" -v r="$round" '
        /^\| (joins|payments|charges|hold attempts)\/s/ { name = $2; gsub(/^ +| +$/, "", name); v = $3; gsub(/ /, "", v); print p "\t" b "\t" r "\t" name "\t" v }
        /^(charges|payments): [0-9]+ turns at the writer gate/ { split($0, a, ":"); match($0, /mean hold [0-9.]+/)
          print p "\t" b "\t" r "\t" a[1] ": mean hold ms\t" substr($0, RSTART + 10, RLENGTH - 10) }' "$log" >>"$figures"
    done
  done
done

echo "# A/B: new = $new, old = $old; $rounds rounds each, order swapped every round; $failed runs failed; logs in $out"
echo
echo "| provider | figure | new runs | old runs | new mean | old mean | new ÷ old |"
echo "|---|---|---|---|---:|---:|---:|"
awk -F'\t' '
  { key = $1 "\t" $4; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    runs[key, $2] = runs[key, $2] (runs[key, $2] == "" ? "" : ", ") $5; sum[key, $2] += $5; count[key, $2]++ }
  END { for (i = 1; i <= n; i++) { k = order[i]; split(k, f, "\t")
          nm = count[k, "new"] ? sum[k, "new"] / count[k, "new"] : 0; om = count[k, "old"] ? sum[k, "old"] / count[k, "old"] : 0
          printf "| %s | %s | %s | %s | %.2f | %.2f | %s |\n", f[1], f[2], runs[k, "new"], runs[k, "old"], nm, om, om ? sprintf("%.3f", nm / om) : "—" } }' "$figures"
((failed == 0))
