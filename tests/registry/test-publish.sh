#!/usr/bin/env bash
# The publish path against a real registry: Debian's docker-registry (the CNCF
# distribution registry) on 127.0.0.1, and skopeo.
#   - two per-platform images, shaped as buildx pushes them (an index of the image and
#     its attestation manifest), pushed by digest, no tag;
#   - scripts/publish-index.sh, the script deploy.yml's build job runs, joins them into
#     one index tagged with the commit and the version;
#   - `skopeo inspect --raw` reads it back: both platforms and both attestations, both
#     tags naming the same bytes;
#   - the registry's own access log shows each tag written exactly once, across a
#     re-run and a refused run: what a registry with immutable tags accepts.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/pipeline/lib.sh
source "$root/tests/pipeline/lib.sh"
publish=$root/scripts/publish-index.sh

"$root/tools/ensure-packages" docker-registry skopeo curl jq python3 python3-yaml >/dev/null
tmp=$(mktemp -d)
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# deploy.yml runs this very script: the test would prove nothing about a copy.
calls=$(/usr/bin/python3 - "$root/.github/workflows/deploy.yml" <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["jobs"]["build"]
print(sum("scripts/publish-index.sh" in str(s.get("run", "")) for s in job["steps"]))
PY
)
expect_eq "deploy.yml's build job assembles the index with scripts/publish-index.sh" "1" "$calls"
if grep -q "imagetools create" "$root/.github/workflows/deploy.yml"; then
  fail "deploy.yml no longer makes the index another way" "it still runs imagetools create"
else
  pass "deploy.yml no longer makes the index another way"
fi

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $tmp/data
  delete:
    enabled: false
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$tmp/config.yml" >"$tmp/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; then break; fi
  sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" || { cat "$tmp/registry.log" >&2; echo "error: docker-registry did not start" >&2; exit 1; }
repository=127.0.0.1:$port/hello-service
skopeo_opts=(--tls-verify=false)

# tag_writes TAG: how many times the registry was asked to write that tag.
tag_writes() { grep -c "\"PUT /v2/hello-service/manifests/$1 HTTP" "$tmp/registry.log" || true; }

declare -A source
for platform in linux/amd64 linux/arm64; do
  arch=${platform#*/}
  source[$arch]=$(/usr/bin/python3 "$here/make-oci-layout.py" "$tmp/$arch" "$platform")
  skopeo copy -q --all --preserve-digests --dest-tls-verify=false "oci:$tmp/$arch" "docker://$repository@${source[$arch]}"
done
tags=$(curl -sS "http://127.0.0.1:$port/v2/hello-service/tags/list" | jq -r '.tags // [] | length')
expect_eq "both platforms pushed by digest, no tag written" "0" "$tags"

sha=0123456789abcdef0123456789abcdef01234567
version=1.4.3
expect_ok "publish-index.sh joins the two pushes and tags the index with the commit and the version" \
  "$publish" --plain-http --repository "$repository" --tag "$sha" --tag "$version" "${source[amd64]}" "${source[arm64]}"
digest=$(sed -n 's/^digest=//p' <<<"$out")
raw=$tmp/index.json
skopeo inspect --raw "${skopeo_opts[@]}" "docker://$repository:$version" >"$raw"
expect_eq "skopeo reads back an OCI image index" "application/vnd.oci.image.index.v1+json" "$(jq -r .mediaType "$raw")"
expect_eq "its digest is the one the script printed" "$digest" "sha256:$(sha256sum "$raw" | cut -d' ' -f1)"
expect_eq "it holds linux/amd64 and linux/arm64" "linux/amd64 linux/arm64" \
  "$(jq -r '[.manifests[].platform | select(.os != "unknown") | "\(.os)/\(.architecture)"] | join(" ")' "$raw")"
expected_entries=$(for arch in amd64 arm64; do
  skopeo inspect --raw "${skopeo_opts[@]}" "docker://$repository@${source[$arch]}" | jq -c '.manifests[]'
done)
expect_eq "it holds every entry of both pushes, attestation manifests included, unchanged" \
  "$expected_entries" "$(jq -c '.manifests[]' "$raw")"
expect_eq "each attestation manifest still names an image of the index" "2" \
  "$(jq '[.manifests[].digest] as $d | [.manifests[] | select(.annotations."vnd.docker.reference.type" == "attestation-manifest")
          | .annotations."vnd.docker.reference.digest" | select(IN($d[]))] | length' "$raw")"
expect_eq "the commit tag names the same bytes" "$digest" \
  "sha256:$(skopeo inspect --raw "${skopeo_opts[@]}" "docker://$repository:$sha" | sha256sum | cut -d' ' -f1)"
for arch in amd64 arm64; do
  skopeo inspect "${skopeo_opts[@]}" --override-arch "$arch" "docker://$repository:$version" >"$tmp/inspect-$arch.json"
  expect_eq "skopeo resolves the $arch image through the index" "$arch" "$(jq -r .Architecture "$tmp/inspect-$arch.json")"
done

# A re-run of the same build: nothing to write.
expect_ok "a re-run with the same pushes succeeds" \
  "$publish" --plain-http --repository "$repository" --tag "$sha" --tag "$version" "${source[amd64]}" "${source[arm64]}"
if grep -q "already names $digest: left alone" <<<"$out"; then pass "the re-run leaves both tags alone"; else fail "the re-run leaves both tags alone" "$out"; fi

# A re-run that stopped between the tags: only the missing one is written.
expect_ok "--index gives a further tag to the published index" \
  "$publish" --plain-http --repository "$repository" --tag "$sha" --tag latest-test --index "$digest"

# Another build for a version already taken: refused before any write.
expect_fail "a tag that names another index is refused, nothing written" 1 \
  "the tag $sha already names $digest .* tags are immutable: nothing written" \
  "$publish" --plain-http --repository "$repository" --tag "$sha" --tag 9.9.9 "${source[arm64]}" "${source[amd64]}"
expect_eq "the refused run wrote no tag at all" "0" "$(tag_writes 9.9.9)"
expect_fail "an index without both platforms is refused" 1 "would hold 'linux/amd64', not 'linux/amd64 linux/arm64'" \
  "$publish" --plain-http --repository "$repository" --tag 9.9.9 "${source[amd64]}"
expect_fail "a source that was never pushed is named" 1 "is not in $repository" \
  "$publish" --plain-http --repository "$repository" --tag 9.9.9 "sha256:$(printf '0%.0s' $(seq 64))"
expect_fail "a bad tag is a usage error" 2 "is not a valid tag" \
  "$publish" --plain-http --repository "$repository" --tag "-x" "${source[amd64]}"

# The registry's own record: each tag written once, across every run above.
for tag in "$sha" "$version" latest-test; do
  expect_eq "the registry saw the tag $tag written exactly once" "1" "$(tag_writes "$tag")"
done
expect_eq "the registry saw no other tag written" "3" \
  "$(grep -cE '"PUT /v2/hello-service/manifests/[^s][^ ]* HTTP' "$tmp/registry.log" || true)"

# The check above can fail: a publish that overwrites (a second PUT of the version tag,
# as imagetools create would do on a re-run) is counted.
curl -sS -o /dev/null -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" \
  --data-binary "@$raw" "http://127.0.0.1:$port/v2/hello-service/manifests/$version"
expect_eq "an overwrite of the version tag is seen in the count" "2" "$(tag_writes "$version")"

finish
