#!/usr/bin/env bash
# Lists every implicit TorchSharp Scalar in the library (tools/ScalarScan); exit code 1 when there is one.
#   scripts/scan-implicit-scalars.sh [SOURCE_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$here/tools/ScalarScan" -c Release -nologo -v quiet -clp:NoSummary >&2
exec dotnet "$here/tools/ScalarScan/bin/Release/net10.0/ScalarScan.dll" "${1:-$here/src/LVPrune}"
