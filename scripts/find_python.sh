#!/usr/bin/env bash
# Print the path of a Python interpreter of version $1 (e.g. 3.10): PATH first, then pyenv.
set -euo pipefail
want="$1"
candidates=("python$want")
if command -v pyenv >/dev/null 2>&1; then
  root="$(pyenv root)"
  for dir in "$root"/versions/"$want".*; do candidates+=("$dir/bin/python$want"); done
fi
for py in "${candidates[@]}"; do
  if "$py" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'" >/dev/null 2>&1; then
    command -v "$py" || echo "$py"
    exit 0
  fi
done
echo "error: Python $want not found (install it, e.g. 'pyenv install $want')" >&2
exit 1
