#!/bin/bash
# run-scorer.sh -- the scorer's throughput on a large synthetic ledger.
#
#   bench/run-scorer.sh [CUSTOMERS [OPEN [THREADS]]]
#                                   (default 100000 1000000 2)
#
# Run from a build directory (or set DS_BUILDDIR and DS_TOP_SRCDIR).
# Builds bench/gen-ledger and bench/bench-scorer, writes a ledger
# calibrated to the bundled sample (gen-ledger.c says how) with
# CUSTOMERS customers and OPEN open invoices on 2014-01-01 plus five
# settled invoices per customer, imports it into a new instance, trains
# the models on the bundled sample (bench-scorer.c says why), then
# scores every open invoice, printing the figures: time per phase,
# invoices per second, peak memory; then, in a process of its own
# under /usr/bin/time -v, the daily cycle's scoring path alone
# (ds_policy_prepare).  Slow (minutes for the default size) and never
# part of `make check`.
set -euo pipefail

customers=${1:-100000}
open=${2:-1000000}
threads=${3:-2}
build=${DS_BUILDDIR:-$(pwd)}
source=${DS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
export DUNSPOOL_DATADIR=$source

make -C "$build" -s src/dunspool bench/gen-ledger bench/bench-scorer
work=$(mktemp -d "${TMPDIR:-/tmp}/run-scorer.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== generate: $customers customers, $open open invoices"
/usr/bin/time -f "generate   %e s  peak RSS %M KB" \
	"$build/bench/gen-ledger" --customers "$customers" --open "$open" \
	"$work/ledger"
ls -l "$work/ledger"

echo "== import"
"$build/src/dunspool" init "$work/instance" > /dev/null
/usr/bin/time -o "$work/import.time" \
	-f "import     %e s  peak RSS %M KB" \
	"$build/src/dunspool" import --root "$work/instance" \
	"$work/ledger/entities.csv" "$work/ledger/customers.csv" \
	"$work/ledger/invoices.csv" "$work/ledger/payments.csv" \
	"$work/ledger/disputes.csv" > /dev/null 2>&1
cat "$work/import.time"

echo "== model: trained on the bundled sample"
"$build/src/dunspool" init "$work/sample" > /dev/null
"$build/src/dunspool" import --root "$work/sample" \
	"$source/data/ibm-ar/entities.csv" \
	"$source/data/ibm-ar/customers.csv" \
	"$source/data/ibm-ar/WA_Fn-UseC_-Accounts-Receivable.csv" \
	> /dev/null 2>&1
"$build/src/dunspool" score --root "$work/sample" --as-of 2014-01-01 \
	--retrain > /dev/null

echo "== score (threads $threads)"
"$build/bench/bench-scorer" --root "$work/instance" --as-of 2014-01-01 \
	--model "$work/sample/var/scorer-model.json" --threads "$threads"

echo "== the daily cycle's scoring path (ds_policy_prepare)"
cp "$work/sample/var/scorer-model.json" "$work/instance/var/"
/usr/bin/time -v -o "$work/policy.time" \
	"$build/bench/bench-scorer" --root "$work/instance" \
	--as-of 2014-01-01 --policy
grep -E "Maximum resident|Elapsed|User time" "$work/policy.time"
