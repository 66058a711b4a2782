#!/usr/bin/env bash
# The helpers the scripts share have one definition each, and behave as their callers
# need:
#   - free_port (bench/benchlib.py; container/lib.sh and the tests call it), die/log/warn
#     (scripts/lib/common.sh; container/lib.sh sources it): each defined once, and every
#     message on stderr, never on a script's stdout;
#   - the ELF checks (container/lib.sh): the only place that runs readelf;
#   - the default version (tools/default-version): the rule of the binary's own build
#     identity (cmake/write_build_info.cmake), on the same repositories;
#   - the replacement of a docs section (bench/benchlib.py): the heading line itself,
#     never a heading that only starts the same; the other sections kept; written
#     atomically; a missing document refused.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python=${PYTHON:-python3}
"$REPO_ROOT/tools/ensure-packages" git cmake binutils
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$REPO_ROOT"

# --- one definition each ------------------------------------------------------------------
# The files git has or would add (new files count too); generated and vendored ones aside.
git ls-files -co --exclude-standard | grep -vE '^(build|tools/npm/node_modules)/' |
  while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done >"$tmp/files"
# This test names the patterns it looks for, so it is not among the files searched.
shell_files=() python_files=()
while IFS= read -r f; do
  case "$f" in
    tests/pipeline/test-helpers.sh) ;;
    *.py) python_files+=("$f") ;;
    *.sh) shell_files+=("$f") ;;
    *.md | *.json | *.yml | *.yaml | *.tf | *.tftpl | *.cpp | *.hpp | *.cmake | *.txt) ;;
    *) if head -n1 "$f" | grep -qE '^#!.*(bash|/sh)'; then shell_files+=("$f"); fi ;;
  esac
done <"$tmp/files"
definitions() {  # definitions KIND NAME: the files that define it
  case "$1" in
    shell) grep -lE "^[[:space:]]*(function[[:space:]]+)?$2[[:space:]]*\(\)" "${shell_files[@]}" || true ;;
    python) grep -lE "^[[:space:]]*def $2\(" "${python_files[@]}" || true ;;
  esac
}
once() {  # once KIND NAME WHERE: defined in WHERE and nowhere else
  local found
  found=$(definitions "$1" "$2" | xargs)
  expect_eq "$2 ($1) is defined once, in $3" "$3" "$found"
}
once shell free_port container/lib.sh
once python free_port bench/benchlib.py
once shell die scripts/lib/common.sh
once shell log scripts/lib/common.sh
once shell warn scripts/lib/common.sh
once python replace_section bench/benchlib.py
found=$(definitions shell say | xargs)
expect_eq "no say() beside log() (one name for one helper)" "" "$found"
found=$(definitions python write_doc | xargs)
expect_eq "no write_doc() of its own in the benchmark scripts" "" "$found"
# Scripts are where a second copy would come back; the docs may name the tools.
readelf_users=$(grep -lE '\breadelf -[hl]' "${shell_files[@]}" | xargs)
expect_eq "readelf runs in one place only (container/lib.sh's ELF checks)" container/lib.sh "$readelf_users"
describe_users=$(grep -lE 'describe --tags' "${shell_files[@]}" | xargs)
expect_eq "the default version is computed by one script (tools/default-version)" tools/default-version "$describe_users"

# --- messages on stderr -------------------------------------------------------------------
# container/lib.sh's helpers, as the container scripts see them: nothing on stdout.
# shellcheck disable=SC2016 # expanded by the inner bash
stdout=$(bash -c '. container/lib.sh; log "building"; warn "slow"' 2>/dev/null)
expect_eq "container/lib.sh: log and warn print nothing on stdout" "" "$stdout"
# shellcheck disable=SC2016
run_capture bash -c '. container/lib.sh; log "building" 2>&1 >/dev/null; warn "slow" 2>&1 >/dev/null'
expect_eq "container/lib.sh: log and warn go to stderr" "==> building
warning: slow" "$out"
# shellcheck disable=SC2016
stdout=$(bash -c '. container/lib.sh; die "broken"' 2>/dev/null || true)
expect_eq "container/lib.sh: die prints nothing on stdout" "" "$stdout"
# shellcheck disable=SC2016
expect_fail "container/lib.sh: die exits 1 with the message on stderr" 1 '^error: broken$' \
  bash -c '. container/lib.sh; die "broken" 2>&1 >/dev/null'

# --- free_port ------------------------------------------------------------------------------
port=$("$python" bench/benchlib.py free-port)
if [[ $port =~ ^[0-9]+$ ]] && "$python" -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$port"; then
  pass "bench/benchlib.py free-port prints a port that can be bound on 127.0.0.1 ($port)"
else
  fail "bench/benchlib.py free-port prints a port that can be bound on 127.0.0.1" "got '$port'"
fi
# shellcheck disable=SC2016
run_capture bash -c '. container/lib.sh; free_port'
expect_eq "container/lib.sh's free_port answers through it (a number)" ok "$([[ $rc = 0 && $out =~ ^[0-9]+$ ]] && echo ok || echo "exit $rc: $out")"

# --- the ELF checks ---------------------------------------------------------------------------
printf 'not a program\n' >"$tmp/text"
host_binary=$(readlink -f "$(type -P true)")
# shellcheck disable=SC2016
elf() { bash -c '. container/lib.sh; "$@"' elf "$@"; }
expect_eq "elf_machine: nothing for a file that is not ELF" "" "$(elf elf_machine "$tmp/text")"
expect_eq "static_arm64_problem: a text file is not ELF" \
  "is not an AArch64 executable (readelf says 'not an ELF file')" "$(elf static_arm64_problem "$tmp/text")"
case "$(uname -m)" in
  x86_64)
    expect_eq "elf_machine names this machine's own binary's machine" "Advanced Micro Devices X86-64" \
      "$(elf elf_machine "$host_binary")"
    ;;
  aarch64)
    expect_eq "static_arm64_problem: a dynamically linked AArch64 executable" \
      "is dynamically linked; the image has no libraries (build it with the release-arm64 preset)" \
      "$(elf static_arm64_problem "$host_binary")"
    ;;
  *) fail "elf_machine on this machine's binary" "no expectation for a $(uname -m) machine" ;;
esac
if elf elf_static "$host_binary"; then
  fail "elf_static: this machine's dynamically linked $host_binary is not static"
else
  pass "elf_static: this machine's dynamically linked $host_binary is not static"
fi
if elf elf_static "$tmp/text"; then fail "elf_static: a text file is not static ELF"; else pass "elf_static: a text file is not static ELF"; fi

# --- the default version: the binary's rule ---------------------------------------------------
# cmake/write_build_info.cmake computes the version /info reports; the image's tag and
# labels come from tools/default-version. Both, on the same repositories.
cmake_version() {  # cmake_version DIR
  cmake -DSOURCE_DIR="$1" -DOUTPUT="$tmp/build_info.hpp" -DVERSION= -DGIT_SHA=x -DBUILD_TIME=x \
    -DCOMPILER=x -DBUILD_TYPE=x -DFAULT= -P cmake/write_build_info.cmake >/dev/null
  sed -nE 's/.*kVersion\[\] = "([^"]*)".*/\1/p' "$tmp/build_info.hpp"
  rm -f "$tmp/build_info.hpp"
}
same_version() {  # same_version NAME DIR [PATTERN]: both rules agree (and match PATTERN)
  local ours theirs
  ours=$(tools/default-version "$2")
  theirs=$(cmake_version "$2")
  if [ "$ours" = "$theirs" ] && [[ $ours =~ ${3:-.} ]]; then
    pass "default version, $1: $ours, as the binary's build says"
  else
    fail "default version, $1: tools/default-version and cmake/write_build_info.cmake agree" \
      "tools/default-version: $ours" "cmake:                  $theirs" "expected to match: ${3:-.}"
  fi
}
repo=$tmp/repo
mkdir -p "$repo"
same_version "a directory outside git" "$repo" '^0\.0\.0-dev$'
git -C "$repo" init -q
git -C "$repo" -c user.name=t -c user.email=t@example.invalid commit -q --allow-empty -m one
same_version "a commit and no tag" "$repo" '^0\.0\.0-dev\+[0-9a-f]+$'
git -C "$repo" tag v1.2.3
same_version "a release tag" "$repo" '^1\.2\.3$'
git -C "$repo" -c user.name=t -c user.email=t@example.invalid commit -q --allow-empty -m two
same_version "a commit after the tag" "$repo" '^1\.2\.3-1-g[0-9a-f]+$'
echo edit >"$repo/file"
git -C "$repo" add file
same_version "uncommitted edits" "$repo" '^1\.2\.3-1-g[0-9a-f]+-dirty$'
git -C "$repo" -c user.name=t -c user.email=t@example.invalid commit -q -m three
# A v* tag that is not MAJOR.MINOR: the binary calls this a development build.
git -C "$repo" tag v2-rc.1
same_version "a v* tag without MAJOR.MINOR (v2-rc.1)" "$repo" '^0\.0\.0-dev\+2-rc\.1$'
expect_fail "tools/default-version: a directory that does not exist is refused" 2 "no such directory" \
  tools/default-version "$tmp/nothing"

# --- replacing a docs section -------------------------------------------------------------------
cat >"$tmp/sections.py" <<'PY'
import os, stat, sys
sys.path.insert(0, os.path.join(sys.argv[1], "bench"))
import benchlib

work = sys.argv[2]


def check(name, ok, detail=""):
    print(("PASS: " if ok else "FAIL: ") + name)
    if not ok and detail:
        print("      " + detail.replace("\n", "\n      "))


doc = os.path.join(work, "doc.md")
head = "# Doc\n\nThe capacity plan below is made by a script: see ## Capacity plan.\n\n"
before = "## Capacity planning notes\n\nhand-written, keep\n\n"
old = "## Capacity plan\n\nold figures\n\n### Details\n\nold details\n\n"
after = "## Container image\n\nkeep this too\n"
with open(doc, "w") as f:
    f.write(head + before + old + after)
os.chmod(doc, 0o640)
new = "## Capacity plan\n\nnew figures\n\n"
benchlib.replace_section(doc, "## Capacity plan", new)
text = open(doc).read()
check("a section is replaced under its own heading, the others kept byte for byte",
      text == head + before + new + after, f"got:\n{text}")
check("the section read back is the new one", benchlib.section(text, "## Capacity plan") == new,
      repr(benchlib.section(text, "## Capacity plan")))
check("the document keeps its mode (0640)", stat.S_IMODE(os.stat(doc).st_mode) == 0o640,
      oct(stat.S_IMODE(os.stat(doc).st_mode)))
check("no temporary file is left beside the document", sorted(os.listdir(work)) == ["doc.md"],
      str(os.listdir(work)))
benchlib.replace_section(doc, "## Last", "## Last\n\nappended\n")
text = open(doc).read()
check("a missing section is appended after a blank line",
      text == head + before + new + after + "\n## Last\n\nappended\n", f"got:\n{text}")
check("section() is None when there is no such heading", benchlib.section(text, "## Capacity") is None)
try:
    benchlib.replace_section(os.path.join(work, "missing.md"), "## Capacity plan", new)
    refused = None
except benchlib.DocError as e:
    refused = str(e)
check("a missing document is refused with its name, not made anew",
      refused is not None and "missing.md" in refused and not os.path.exists(os.path.join(work, "missing.md")),
      repr(refused))
PY
mkdir -p "$tmp/sections"
run_capture "$python" "$tmp/sections.py" "$REPO_ROOT" "$tmp/sections"
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then fail "the section checks ran" "exit $rc"; fi
if grep -q '^FAIL: ' <<<"$out"; then failures=$((failures + 1)); fi

finish
