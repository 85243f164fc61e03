#!/usr/bin/env bash
# Smoke run of the benchmark suite, for CI: builds bench/Caffe2Sharp.Bench in Release and runs
# every benchmark once (BenchmarkDotNet's dry job, in process) at 1K and 1M floats, and the GEMM
# and Conv rows (issue 9) at a few shapes (GemmConvShapes.Smoke) on 1 and 2 threads. Each
# benchmark's setup checks its path against a reference (bit for bit for the element-wise kernels,
# 1e-4 relative against ONNX Runtime for GEMM and Conv), so this fails if any benchmark, check,
# ONNX Runtime session or column breaks. Its times mean nothing. Takes about
# a minute including the build (the real-net rows load SqueezeNet, ResNet-50 and LeNet). Extra arguments go to the suite (e.g. --filter '*Forward*').
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build bench/Caffe2Sharp.Bench -c Release --nologo -v quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet bench/Caffe2Sharp.Bench/bin/Release/net10.0/Caffe2Sharp.Bench.dll --smoke "$@" | tee "$log"

# The suite exits non-zero on any failed benchmark; also insist that something ran.
grep -Eq 'Global total time: .*executed benchmarks: [1-9][0-9]*' "$log"
echo "bench smoke: OK"
