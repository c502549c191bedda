#!/usr/bin/env bash
# Checks that libedgembed.so exports exactly the functions edgembed.h declares (no C++ symbols leak).
# Usage: check_exports.sh NM LIBEDGEMBED_SO EDGEMBED_H
set -euo pipefail
nm=$1 lib=$2 header=$3
exported=$("$nm" -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u)
declared=$(grep -oE '\bedgembed_[a-z_]+\(' "$header" | tr -d '(' | sort -u)
status=0
extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
if [ -n "$extra" ]; then echo "exported but not declared in edgembed.h:"; echo "$extra"; status=1; fi
if [ -n "$missing" ]; then echo "declared in edgembed.h but not exported:"; echo "$missing"; status=1; fi
n=$(echo "$exported" | wc -l)
if [ $status -eq 0 ]; then echo "1 passed, 0 failed: $n symbols, all declared in edgembed.h"; else echo "0 passed, 1 failed"; fi
exit $status
