#!/usr/bin/env bash
# The C++ sources against .clang-format (README.md, "Development").
#   check-format.sh [ROOT]          lists each file clang-format would change; fails if any
#   check-format.sh --fix [ROOT]    reformats them in place
# Pinned to clang-format 14 (Debian 12's, installed by scripts/install-deps.sh): other major
# versions format some constructs differently. Without it the check is skipped (exit 77, which
# ctest reports as skipped).
set -euo pipefail
fix=0
if [[ ${1:-} == --fix ]]; then fix=1; shift; fi
root=${1:-$(dirname "$0")/..}
cd "$root"

# What is checked: every C++ source and header under these folders.
folders=(app bench cli client core protocol server storage web examples
         tests/client tests/fuzz tests/integration tests/support tests/unit)

formatter=
for candidate in clang-format-14 clang-format; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     [[ $("$candidate" --version) == *"version 14."* ]]; then
    formatter=$candidate
    break
  fi
done
if [[ -z $formatter ]]; then
  echo "format: SKIPPED: clang-format 14 not found (apt-get install clang-format-14, or ./scripts/install-deps.sh)"
  exit 77
fi

# The files git tracks, or every file outside a checkout (a source tarball).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- "${folders[@]/%//*.cpp}" "${folders[@]/%//*.hpp}" \
                                        "${folders[@]/%//*.h}" | sort)
else
  mapfile -t files < <(find "${folders[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) \
                         -not -path '*/node_modules/*' 2>/dev/null | sort)
fi

if ((fix)); then
  printf '%s\n' "${files[@]}" | xargs -r -n 20 "$formatter" -i
  echo "format: reformatted ${#files[@]} files with $formatter"
  exit 0
fi

# One clang-format per 40 files, two at a time; each difference is reported as
# "FILE:LINE:COL: error: code should be clang-formatted [-Wclang-format-violations]".
report=$(printf '%s\n' "${files[@]}" | xargs -r -n 40 -P 2 "$formatter" --dry-run -Werror 2>&1 >/dev/null || true)
status=0
while IFS= read -r f; do
  [[ -n $f ]] || continue
  echo "format: $f differs from .clang-format"
  status=1
done < <(sed -nE 's/^(.*):[0-9]+:[0-9]+: error: code should be clang-formatted.*/\1/p' <<<"$report" | sort -u)
# Anything else it said (an unreadable file, a bad .clang-format) fails the check too.
other=$(grep -E '(error|warning):' <<<"$report" | grep -v 'code should be clang-formatted' || true)
if [[ -n $other ]]; then
  echo "$other" | head -5
  status=1
fi
if ((status)); then
  echo "format: FAILED; scripts/check-format.sh --fix reformats them ($formatter)"
else
  echo "format: ${#files[@]} files OK ($formatter)"
fi
exit $status
