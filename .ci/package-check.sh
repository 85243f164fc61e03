#!/usr/bin/env bash
# Packs the libraries and the tool, checks what a NuGet user gets (README, licence expression,
# XML docs, the IR namespaces' build props), then builds and runs the README's C# example
# against the packages alone, as a user would.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in TextFormat Schema Kernels Runtime Operators Onnx Models Cli; do
  dotnet pack "src/$p" -o "$tmp/feed" --nologo -v quiet
done
for nupkg in "$tmp"/feed/*.nupkg; do
  listing=$(unzip -l "$nupkg")
  nuspec=$(unzip -p "$nupkg" '*.nuspec')
  grep -q 'README.md' <<<"$listing" || { echo "$nupkg: no README.md"; exit 1; }
  grep -q '<license type="expression">' <<<"$nuspec" || { echo "$nupkg: no licence expression"; exit 1; }
  case "$nupkg" in
    *Cli*) ;;
    *) grep -q 'lib/net10.0/.*\.xml' <<<"$listing" || { echo "$nupkg: no XML docs"; exit 1; } ;;
  esac
done
unzip -l "$tmp"/feed/Caffe2Sharp.Schema.*.nupkg | grep -q 'buildTransitive/Caffe2Sharp.Schema.props' \
  || { echo "Caffe2Sharp.Schema: no buildTransitive props"; exit 1; }

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/Directory.Build.props)
mkdir "$tmp/consumer"
cat > "$tmp/consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Caffe2Sharp.Operators" Version="$version" />
    <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.3" />
  </ItemGroup>
</Project>
XML
cat > "$tmp/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="caffe2sharp-local" value="$tmp/feed" />
  </packageSources>
</configuration>
XML
# Outside the repository, so none of its Directory.Build.props or central versions apply.
cp samples/ReadmeExample/Program.cs "$tmp/consumer/Program.cs"
echo '<Project />' > "$tmp/Directory.Build.props"
echo '<Project />' > "$tmp/Directory.Packages.props"
out=$(cd "$tmp/consumer" && dotnet run --packages "$tmp/packages" --nologo)
echo "$out"
grep -q -- "-0.2, 0, 2" <<<"$out"
echo "package check: OK"
