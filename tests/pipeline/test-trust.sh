#!/usr/bin/env bash
# scripts/verify-image.sh, the trust gate before every deploy: which images it lets
# through, and what it says when it refuses one.
#
# cosign cannot run here: it is not a Debian 12 package, it is a Go program and this
# machine has no Go toolchain (nor the Go module proxy), and the npm sigstore client
# verifies bundles, not images in a registry. So cosign is played by a stand-in
# (tests/pipeline/fake-cosign/cosign) that answers from a description of the registry
# written here, with cosign v3.0.6's exit codes and error lines as its source has them.
# What this proves is the script's decision logic: every check is made, every failure
# refuses, the identity asked for is the one given, nothing but a digest is verified. That
# real cosign accepts our real signatures is only shown on GitHub (deploy.yml's build job
# verifies them with the same identity).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
gate=$SCRIPTS/verify-image.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FAKE_COSIGN_DIR=$tmp FAKE_COSIGN_WORLD=$tmp/world.json
PATH="$REPO_ROOT/tests/pipeline/fake-cosign:$PATH"
: >"$tmp/calls"

repo=123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service
digest() { printf 'sha256:%064d' "$1"; }
ours=https://github.com/acme/hello-service/.github/workflows/deploy.yml@refs/heads/main
issuer=https://token.actions.githubusercontent.com
record=https://github.com/acme/hello-service/blob/main/docs/PIPELINE.md
printf 'test key one\n' >"$tmp/one.pub"
printf 'test key two\n' >"$tmp/two.pub"
fingerprint() { sha256sum "$1" | cut -d' ' -f1; }
signer() { # IDENTITY [ISSUER] [REPOSITORY]
  printf '{"identity": "%s", "issuer": "%s", "repository": "%s"}' "$1" "${2:-$issuer}" "${3:-acme/hello-service}"
}
release() { # SIGNER: a signature and both attestations by SIGNER
  printf '{"signature": %s, "attestations": {"cyclonedx": %s, "%s": %s}}' "$1" "$1" "$record" "$1"
}
good=$(signer "$ours")
cat >"$FAKE_COSIGN_WORLD" <<JSON
{
  "$repo@$(digest 1)": $(release "$good"),
  "$repo@$(digest 2)": {},
  "$repo@$(digest 3)": $(release "$(signer https://github.com/mallory/hello-service/.github/workflows/deploy.yml@refs/heads/main "$issuer" mallory/hello-service)"),
  "$repo@$(digest 4)": $(release "$(signer https://github.com/acme/hello-service/.github/workflows/deploy.yml@refs/heads/experiment)"),
  "$repo@$(digest 5)": {"signature": $good, "attestations": {"$record": $good}},
  "$repo@$(digest 6)": {"signature": $good, "attestations": {"cyclonedx": $(signer https://github.com/mallory/tools/.github/workflows/sbom.yml@refs/heads/main), "$record": $good}},
  "$repo@$(digest 7)": $(release "$(signer "$ours" https://accounts.example.test)"),
  "$repo@$(digest 8)": {"signature": {"key": "$(fingerprint "$tmp/one.pub")"}, "attestations": {"cyclonedx": {"key": "$(fingerprint "$tmp/one.pub")"}}},
  "$repo@$(digest 9)": {"signature": {"key": "$(fingerprint "$tmp/two.pub")"}, "attestations": {"cyclonedx": {"key": "$(fingerprint "$tmp/two.pub")"}}},
  "$repo@$(digest 10)": $(release "$(signer https://github.com/acme/shared/.github/workflows/build.yml@refs/tags/v2.0.0 "$issuer" acme/hello-service)"),
  "$repo@$(digest 11)": $(release "$(signer https://github.com/acme/shared/.github/workflows/build.yml@refs/tags/v2.0.0 "$issuer" mallory/other)"),
  "$repo@$(digest 12)": $(release "$(signer "https://github.com/mallory/x/.github/workflows/x.yml@refs/heads/acme/shared/.github/workflows/build.yml@refs/tags/v2.0.0" "$issuer" mallory/x)")
}
JSON
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$FAKE_COSIGN_WORLD"

ours_args=(--certificate-identity "$ours" --attestation-type cyclonedx --attestation-type "$record")
calls_since() { tail -n "+$(($1 + 1))" "$tmp/calls"; }

# 1. Our release: signed and attested by deploy.yml on main.
before=$(wc -l <"$tmp/calls")
expect_ok "trust: our release (signature, SBOM and arm64 record by deploy.yml on main) passes" \
  "$gate" --image "$repo@$(digest 1)" "${ours_args[@]}"
made=$(calls_since "$before")
expect_eq "trust: three cosign calls, the signature first, then each attestation type" \
  "verify verify-attestation verify-attestation" "$(cut -d' ' -f1 <<<"$made" | paste -sd ' ')"
if [ "$(grep -c -- "--certificate-identity $ours --certificate-oidc-issuer $issuer" <<<"$made")" = 3 ]; then
  pass "trust: every call names the exact identity and GitHub's OIDC issuer"
else
  fail "trust: every call names the exact identity and GitHub's OIDC issuer" "$made"
fi
if grep -q -- "--type cyclonedx" <<<"$made" && grep -q -- "--type $record" <<<"$made"; then
  pass "trust: the attestation types asked for are the ones verified"
else
  fail "trust: the attestation types asked for are the ones verified" "$made"
fi

# 2. What must be refused, each with the check that failed and cosign's reason.
refused() { # NAME DIGEST_N REGEX [ARGS...]: refused (exit 1) with a line matching REGEX
  local name=$1 n=$2 regex=$3
  shift 3
  expect_fail "trust: refused: $name" 1 "$regex" "$gate" --image "$repo@$(digest "$n")" "$@"
  if ! grep -q "is not trusted" <<<"$out"; then fail "trust: $name: the verdict line says the image is not trusted" "$out"; fi
}
refused "an unsigned image" 2 "REFUSED signature: no signatures found \(cosign exit 10\)" "${ours_args[@]}"
refused "an image signed by another repository's workflow" 3 \
  "REFUSED signature: .*expected SAN value \"$ours\", got \"https://github.com/mallory/" "${ours_args[@]}"
refused "an image signed by our workflow on another branch" 4 'got ".*@refs/heads/experiment"' "${ours_args[@]}"
refused "an image without its SBOM attestation" 5 \
  "REFUSED attestation cyclonedx: none of the attestations matched the predicate type: cyclonedx" "${ours_args[@]}"
if grep -q "REFUSED signature" <<<"$out"; then fail "trust: the signature of that image is not reported refused" "$out"; fi
refused "an SBOM attested by someone else" 6 "REFUSED attestation cyclonedx: .*got \"https://github.com/mallory/tools" "${ours_args[@]}"
refused "a signature from another OIDC issuer" 7 'expected issuer value "https://token.actions.githubusercontent.com"' "${ours_args[@]}"
refused "an image that is not in the registry" 13 "image tag not found.*\(cosign exit 11\)" "${ours_args[@]}"
refused "a missing attestation type named in the summary" 5 \
  "not trusted: attestation cyclonedx did not verify against identity $ours" "${ours_args[@]}"

# 3. A key pair: the test's key passes, another key and no signature are refused.
expect_ok "trust: an image signed with the expected key passes" \
  "$gate" --image "$repo@$(digest 8)" --key "$tmp/one.pub" --attestation-type cyclonedx
refused "an image signed with another key" 9 "REFUSED signature: no matching signatures" --key "$tmp/one.pub"
refused "an unsigned image (key mode)" 2 "REFUSED signature: no signatures found" --key "$tmp/one.pub"

# 4. A signer shared by several repositories (a reusable build workflow): its identity
# names the shared workflow, so the repository the build ran for is required too.
shared=https://github.com/acme/shared/.github/workflows/build.yml@refs/tags/v2.0.0
expect_ok "trust: a shared build workflow's signature for this repository passes" \
  "$gate" --image "$repo@$(digest 10)" --certificate-identity "$shared" --certificate-github-workflow-repository acme/hello-service
refused "the same shared workflow's signature made for another repository" 11 \
  "expected GitHub Workflow Repository not found" --certificate-identity "$shared" --certificate-github-workflow-repository acme/hello-service
# An identity regexp must be anchored: cosign matches it anywhere, and this image's
# identity (a workflow of another repository, on a branch named after ours) contains ours.
loose='acme/shared/\.github/workflows/build\.yml@refs/tags/v[0-9.]+$'
anchored='^https://github\.com/acme/shared/\.github/workflows/build\.yml@refs/tags/v[0-9.]+$'
expect_ok "trust (the stand-in, as cosign): an unanchored regexp accepts an identity that only contains it" \
  "$REPO_ROOT/tests/pipeline/fake-cosign/cosign" verify --certificate-identity-regexp "$loose" \
  --certificate-oidc-issuer "$issuer" "$repo@$(digest 12)"
expect_fail "trust: so an unanchored --certificate-identity-regexp is refused" 2 "must be anchored" \
  "$gate" --image "$repo@$(digest 12)" --certificate-identity-regexp "$loose"
expect_ok "trust: the anchored regexp passes a release tag of the shared workflow" \
  "$gate" --image "$repo@$(digest 10)" --certificate-identity-regexp "$anchored"
refused "the anchored regexp, against the other repository's lookalike" 12 "REFUSED signature" \
  --certificate-identity-regexp "$anchored"

# 5. Bad arguments, before any cosign call.
before=$(wc -l <"$tmp/calls")
expect_fail "trust: a tag is not verified (it can move before the deploy)" 2 "is not a reference by digest" \
  "$gate" --image "$repo:1.2.3" "${ours_args[@]}"
expect_fail "trust: no identity and no key is a usage error" 2 "give exactly one of" "$gate" --image "$repo@$(digest 1)"
expect_fail "trust: an identity and a key together are a usage error" 2 "give exactly one of" \
  "$gate" --image "$repo@$(digest 1)" --certificate-identity "$ours" --key "$tmp/one.pub"
expect_fail "trust: an issuer with a key is a usage error" 2 "are for keyless verification" \
  "$gate" --image "$repo@$(digest 8)" --key "$tmp/one.pub" --certificate-oidc-issuer "$issuer"
expect_fail "trust: a missing key file is named" 2 "is not a readable file" \
  "$gate" --image "$repo@$(digest 8)" --key "$tmp/none.pub"
expect_fail "trust: an empty attestation type is refused" 2 "attestation-type needs a value" \
  "$gate" --image "$repo@$(digest 1)" --certificate-identity "$ours" --attestation-type ""
expect_fail "trust: an attestation type with spaces is refused" 2 "is empty or has spaces" \
  "$gate" --image "$repo@$(digest 1)" --certificate-identity "$ours" --attestation-type "cyclone dx"
expect_eq "trust: no cosign call for bad arguments" "$before" "$(wc -l <"$tmp/calls")"
expect_fail "trust: no cosign installed is named" 1 "cosign \('$tmp/no-cosign'\) is not installed" \
  "$gate" --image "$repo@$(digest 1)" --certificate-identity "$ours" --cosign "$tmp/no-cosign"
expect_ok "trust: --help explains itself" "$gate" --help
if grep -q "certificate-identity-regexp" <<<"$out"; then pass "trust: --help lists the options"; else fail "trust: --help lists the options" "$out"; fi

# 6. A cosign that never answers is cut at the deadline, and refuses.
start=$SECONDS
expect_fail "trust: a cosign that hangs is cut at the deadline and refuses" 1 "REFUSED signature: cosign did not answer within 10 s" \
  env FAKE_COSIGN_HANG=1 "$gate" --image "$repo@$(digest 1)" --certificate-identity "$ours" --deadline-s 10
took=$((SECONDS - start))
if [ "$took" -le 17 ]; then pass "trust: the hanging check ended within the deadline + 5 s (${took} s)"; else fail "trust: the hanging check ended within the deadline + 5 s" "took ${took} s"; fi

finish
