#!/usr/bin/env bash
# Long property-based fuzzing run (issue 12): the payload reader over HTTP and the config loader, with ITER iterations
# each instead of CI's few hundred. Prints each fuzz test's result; a failure prints the CsCheck seed that replays it
# (CsCheck_Seed=<seed> with the same test filter).
set -euo pipefail
cd "$(dirname "$0")/.."
iter=${1:-20000}
MRBOT_FUZZ_ITER=$iter dotnet test tests/GitLabMrBot.FunctionalTests \
  --filter "FullyQualifiedName~GitLabMrBot.FunctionalTests.Fuzz" --logger "console;verbosity=normal" 2>&1 \
  | grep -E "^\s+(Passed|Failed) |Set seed|^(Passed|Failed)! " || true
