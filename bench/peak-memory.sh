#!/usr/bin/env bash
# Peak resident memory of loading and running one real net once (default ResNet50; also LeNet,
# SqueezeNet), ours against ONNX Runtime. Each measurement is its own process, reading VmHWM of
# /proc/self/status at its end (Linux): the net's process minus a baseline process that only starts
# that runtime (ours: the operator catalog; ORT: its environment, the native library loaded). ORT
# loads a model file exported beforehand by another process, so exporting costs it nothing.
# Usage: bench/peak-memory.sh [NET]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
net=${1:-ResNet50}

dotnet build bench/Caffe2Sharp.Bench -c Release --nologo -v quiet
dll=bench/Caffe2Sharp.Bench/bin/Release/net10.0/Caffe2Sharp.Bench.dll
model=$(mktemp --suffix=.onnx)
trap 'rm -f "$model"' EXIT
dotnet "$dll" peakmem export "$net" "$model"

peak() { dotnet "$dll" peakmem "$@" | sed -n 's/^VmHWM_KiB=//p'; }
base_ours=$(peak baseline-ours)
ours=$(peak ours "$net")
base_ort=$(peak baseline-ort)
ort=$(peak ort "$net" "$model")

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
printf '%-10s %12s %12s %12s\n' "$net" "peak MiB" "baseline MiB" "net MiB"
printf '%-10s %12s %12s %12s\n' ours "$(mib "$ours")" "$(mib "$base_ours")" "$(mib $((ours - base_ours)))"
printf '%-10s %12s %12s %12s\n' ORT "$(mib "$ort")" "$(mib "$base_ort")" "$(mib $((ort - base_ort)))"
echo "model file: $(mib $(( $(stat -c %s "$model") / 1024 ))) MiB"
