#!/usr/bin/env bash
# Runs the benchmarks and prints the performance table of docs/performance.md
# (markdown): each figure with the command that produced it, and the date,
# commit and machine of the run. Builds them optimised first.
#
#   scripts/bench-report.sh                 client, codec, ingest (3 runs), memory, outage
#   scripts/bench-report.sh --runs=5        ingest_bench 5 times (median and range)
#   scripts/bench-report.sh --write         also replace the table in docs/performance.md
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
write=0
for arg in "$@"; do
  case "$arg" in
    --runs=*) runs="${arg#--runs=}" ;;
    --write) write=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-report.sh: unknown argument \"$arg\" (see --help)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "bench-report.sh: --runs must be 1 or more" >&2; exit 2 ;; esac
scripts/install-deps.sh --bench

bazel build -c opt --jobs=2 //bench:all >&2
bin=$(bazel info -c opt bazel-bin 2>/dev/null)/bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "bench-report: client_bench" >&2
"$bin/client_bench" --benchmark_repetitions=10 --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$out/client.json" 2>/dev/null
echo "bench-report: codec_bench" >&2
"$bin/codec_bench" --benchmark_repetitions=10 --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$out/codec.json" 2>/dev/null
for i in $(seq 1 "$runs"); do
  echo "bench-report: ingest_bench, run $i of $runs" >&2
  # It exits 1 when records were lost: its figures are what is wanted.
  "$bin/ingest_bench" --dir="$out" >"$out/ingest.$i.txt" 2>/dev/null || true
done
echo "bench-report: client_memory, outage_bench" >&2
"$bin/client_memory" >"$out/memory.txt" 2>&1
"$bin/outage_bench" >"$out/outage.txt" 2>/dev/null || true

commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- toil bench || echo "+changes")
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
python3 - "$out" "$runs" "$(date -u +%Y-%m-%d)" "$commit" "$machine" >"$out/table.md" <<'PY'
import json, re, statistics, sys
out, runs, date, commit, machine = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def medians(path):
    """name -> (median ns, cv %) from Google Benchmark's JSON aggregates."""
    found = {}
    for b in json.load(open(path))["benchmarks"]:
        name, agg = b.get("run_name", b["name"]), b.get("aggregate_name")
        unit = {"ns": 1, "us": 1e3, "ms": 1e6}[b.get("time_unit", "ns")]
        if agg == "median":
            found.setdefault(name, {})["median"] = b["cpu_time"] * unit
        elif agg == "cv":
            found.setdefault(name, {})["cv"] = b["cpu_time"] * 100
    return found

def ns(x):
    return "%.2f ns" % x if x < 10 else "%.0f ns" % x

def spread(values, fmt):
    values = sorted(values)
    if len(values) == 1:
        return fmt % values[0]
    return (fmt + " (" + fmt + " to " + fmt + ")") % (statistics.median(values), values[0], values[-1])

rows = []
client = medians(out + "/client.json")
cb = "`bazel run -c opt //bench:client_bench -- --benchmark_repetitions=10`"
def crow(what, name, extra=""):
    b = client.get(name)
    if b:
        rows.append((what, "%s median of 10, cv %.1f%%%s" % (ns(b["median"]), b.get("cv", 0), extra), cb))
crow("`RT_LOG(INFO) << \"x=\" << i`, enabled (CPU per call)", "BM_Enabled")
crow("the same, below the level", "BM_Disabled")
crow("the same, from 2 threads at once", "BM_Enabled/threads:2")
crow("the same, from 8 threads at once", "BM_Enabled/threads:8")
crow("the same, while the queue is full (not queued: written to the job's stderr by the caller, and counted)", "BM_EnabledQueueFull")
if "BM_SyncSendBaseline" in client and "BM_Enabled" in client:
    base = client["BM_SyncSendBaseline"]["median"]
    rows.append(("reference: encode and `send(2)` on the caller's thread", "%s (%.1fx `RT_LOG`)" % (ns(base), base / client["BM_Enabled"]["median"]), cb))

codec = medians(out + "/codec.json")
kb = "`bazel run -c opt //bench:codec_bench -- --benchmark_repetitions=10`"
def pair(what, ours, theirs):
    if ours in codec and theirs in codec:
        o, t = codec[ours]["median"], codec[theirs]["median"]
        rows.append((what, "%s; protobuf's JSON: %s (%.0fx)" % (ns(o), ns(t), t / o), kb))
def single(what, name):
    if name in codec:
        rows.append((what, ns(codec[name]["median"]), kb))
pair("encode a typical record", "BM_EncodeOurs", "BM_EncodeProtobuf")
pair("decode a typical Python record with `args`", "BM_DecodeOurs", "BM_DecodeProtobuf")
single("the same, as the leader decodes it (`args` kept as text)", "BM_DecodeOursLeader")
single("decode a typical C++ record", "BM_DecodeOursCppRecord")
single("encode and sign a record (job's sender thread)", "BM_EncodeAndSign")
single("verify a signed record (leader)", "BM_Verify")

ib = "`bazel run -c opt //bench:ingest_bench` (%d runs)" % runs
line = re.compile(r"^  (.+?)\s+sent\s+(\d+)\s+received\s+(\d+)\s+lost\s+(\d+).*?CPU\s+([\d.]+) us/record\s+peak RSS\s+([\d.]+) MB")
ingest = {}
for i in range(1, runs + 1):
    section = ""
    for text in open("%s/ingest.%d.txt" % (out, i)):
        if not text.startswith("  "):
            section = text.split(":")[0]
            continue
        m = line.match(text.rstrip())
        if m:
            key = (section, m.group(1).strip())
            ingest.setdefault(key, []).append((int(m.group(2)), int(m.group(4)), float(m.group(5)), float(m.group(6))))
for (section, who), results in ingest.items():
    sent = results[0][0]
    lost = spread([r[1] for r in results], "%d")
    cpu = spread([r[2] for r in results], "%.2f")
    rss = spread([r[3] for r in results], "%.1f")
    what = "%s: %s (%s records)" % ({"burst": "1M-record burst, 1 sender", "paced": "16 senders paced at 100,000 records/s", "paced, packed": "16 packed senders at 2,000,000 records/s"}.get(section, section), who, "{:,}".format(sent))
    rows.append((what, "lost %s; %s us of CPU per record; peak RSS %s MB" % (lost, cpu, rss), ib))

memory = open(out + "/memory.txt").read()
m = re.search(r"steady records:\s+\d+ kB \(\+(\d+) kB\).*?burst:\s+\d+ kB \(\+(\d+) kB\)", memory, re.S)
if m:
    rows.append(("a job's extra RSS from logging: steady / a 200,000-record burst", "+%s kB / +%s kB" % (m.group(1), m.group(2)), "`bazel run -c opt //bench:client_memory`"))
outage = open(out + "/outage.txt").read()
ratios = dict(re.findall(r"^(\w+)\s+median [\d.]+ s .*?ratio to up ([\d.]+)", outage, re.M))
if ratios:
    rows.append(("a job of 20,000 x (50 us work + 1 record): leader stopped / frozen / none, against up", " / ".join("%sx" % ratios.get(k, "?") for k in ("stopped", "frozen", "local")), "`bazel run -c opt //bench:outage_bench` (7 rounds)"))

print("Measured %s, commit %s, on %s." % (date, commit, machine))
print()
print("| what | measured | command |")
print("|---|---|---|")
for what, figure, command in rows:
    print("| %s | %s | %s |" % (what, figure, command))
PY
cat "$out/table.md"
if [ "$write" -eq 1 ]; then
  python3 - "$out/table.md" <<'PY'
import sys
path = "docs/performance.md"
doc = open(path).read()
begin, end = "<!-- bench-report: begin -->\n", "<!-- bench-report: end -->"
a, b = doc.index(begin) + len(begin), doc.index(end)
open(path, "w").write(doc[:a] + open(sys.argv[1]).read() + doc[b:])
PY
  echo "bench-report: docs/performance.md updated" >&2
fi
