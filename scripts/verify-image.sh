#!/usr/bin/env bash
# The trust gate before a deploy: an image is deployed only if cosign verifies its
# signature, and every attestation asked for, against the one identity allowed to
# publish it.
#
#   verify-image.sh --image REGISTRY/REPOSITORY@sha256:DIGEST
#                   (--certificate-identity URI | --certificate-identity-regexp '^RE$')
#                   [--certificate-oidc-issuer URL] [--certificate-github-workflow-repository OWNER/REPO]
#                   [--attestation-type TYPE]... [--deadline-s S] [--cosign PATH]
#   verify-image.sh --image ... --key KEY [--attestation-type TYPE]... [...]
#
# Keyless (the pipeline's own images): the signing certificate must name exactly that
# identity, the URI of the workflow that signed, e.g.
#   https://github.com/OWNER/REPO/.github/workflows/deploy.yml@refs/heads/main
# and have been issued for a token of --certificate-oidc-issuer (default GitHub Actions',
# https://token.actions.githubusercontent.com). A --certificate-identity-regexp must be
# anchored (^...$): cosign matches it anywhere in the identity, so an unanchored one also
# accepts a workflow of another repository whose ref merely contains the text. When the
# signer is a reusable workflow shared by several repositories (the certificate then names
# that workflow, not the repository it built), --certificate-github-workflow-repository
# also requires the repository the build ran for.
# With a key: --key is a cosign public key (a file, or a KMS URI such as awskms://...).
#
# Checks, each one cosign call, all of them made, every result reported:
#   signature           cosign verify
#   attestation TYPE    cosign verify-attestation --type TYPE (one per --attestation-type)
# Any non-zero exit of cosign refuses the image: cosign v3 gives most failures exit 1,
# so no exit code is read as "retry" or "pass"; a refused image is named with cosign's
# own last error line. Only a digest is verified (a tag could move between this check
# and the deploy).
#
# Time, at most: --deadline-s S (default 180) for all the checks together (each cosign call
# is cut at what is left of it, at least 10 s), + 5 s.
# Exit codes: 0 every check passed; 1 refused (the lines before say which check failed and
# why); 2 bad arguments.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

image="" identity="" identity_regexp="" issuer="https://token.actions.githubusercontent.com" issuer_given=false
workflow_repository="" key="" deadline_s=180 cosign=cosign
types=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --image) image=$(option_value "$@"); shift 2 ;;
    --certificate-identity) identity=$(option_value "$@"); shift 2 ;;
    --certificate-identity-regexp) identity_regexp=$(option_value "$@"); shift 2 ;;
    --certificate-oidc-issuer) issuer=$(option_value "$@"); issuer_given=true; shift 2 ;;
    --certificate-github-workflow-repository) workflow_repository=$(option_value "$@"); shift 2 ;;
    --key) key=$(option_value "$@"); shift 2 ;;
    --attestation-type) types+=("$(option_value "$@")"); shift 2 ;;
    --deadline-s) deadline_s=$(option_value "$@"); shift 2 ;;
    --cosign) cosign=$(option_value "$@"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

[ -n "$image" ] || usage_error "--image is required (REGISTRY/REPOSITORY@sha256:DIGEST)"
if ! [[ $image =~ ^[^@[:space:]]+@sha256:[0-9a-f]{64}$ ]]; then
  usage_error "--image '$image' is not a reference by digest (REGISTRY/REPOSITORY@sha256:<64 hex>): a tag can move between this check and the deploy"
fi
given=0
for value in "$identity" "$identity_regexp" "$key"; do
  [ -z "$value" ] || given=$((given + 1))
done
[ "$given" -eq 1 ] || usage_error "give exactly one of --certificate-identity, --certificate-identity-regexp (keyless) or --key"
if [ -n "$identity_regexp" ] && ! [[ $identity_regexp == ^* && $identity_regexp == *\$ ]]; then
  usage_error "--certificate-identity-regexp '$identity_regexp' must be anchored (^...\$): cosign matches it anywhere in the certificate's identity"
fi
if [ -n "$key" ] && { [ "$issuer_given" = true ] || [ -n "$workflow_repository" ]; }; then
  usage_error "--certificate-oidc-issuer and --certificate-github-workflow-repository are for keyless verification, not --key"
fi
if [ -n "$workflow_repository" ] && ! [[ $workflow_repository =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
  usage_error "--certificate-github-workflow-repository '$workflow_repository' is not OWNER/REPO"
fi
for type in ${types[@]+"${types[@]}"}; do
  [[ $type =~ ^[^[:space:]]+$ ]] || usage_error "--attestation-type '$type' is empty or has spaces"
done
is_positive_int "$deadline_s" || usage_error "--deadline-s '$deadline_s' must be a whole number of seconds"
if [ -n "$key" ] && [[ $key != *://* ]] && ! [ -r "$key" ]; then
  usage_error "--key '$key' is not a readable file (or a KMS URI such as awskms://...)"
fi
command -v "$cosign" >/dev/null 2>&1 || die "cosign ('$cosign') is not installed (the workflow installs it with sigstore/cosign-installer)"
require_commands timeout

if [ -n "$key" ]; then
  trust=(--key "$key")
  described="the key $key"
else
  if [ -n "$identity" ]; then
    trust=(--certificate-identity "$identity")
    described="identity $identity"
  else
    trust=(--certificate-identity-regexp "$identity_regexp")
    described="identity matching $identity_regexp"
  fi
  trust+=(--certificate-oidc-issuer "$issuer")
  described+=" (issuer $issuer"
  if [ -n "$workflow_repository" ]; then
    trust+=(--certificate-github-workflow-repository "$workflow_repository")
    described+=", built for $workflow_repository"
  fi
  described+=")"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
end=$((SECONDS + deadline_s))
refused=()

# check LABEL COSIGN_ARGS...: one cosign call, cut at what is left of the deadline.
check() {
  local label=$1 left rc=0 reason
  shift
  left=$((end - SECONDS))
  [ "$left" -ge 10 ] || left=10
  timeout --kill-after=5 "$left" "$cosign" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" -eq 0 ]; then
    log "trust: $label verified"
    return 0
  fi
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    reason="cosign did not answer within ${left} s"
  else
    # cosign ends with "Error: <why>" (and its log line "error during command execution:
    # <why>"); keep the last such line, on one line.
    reason=$(grep -E '^(Error: |.*error during command execution: )' "$tmp/err" | tail -n 1 \
      | sed -E -e 's/^Error: //' -e 's/^.*error during command execution: //' || true)
    [ -n "$reason" ] || reason=$(grep -v '^[[:space:]]*$' "$tmp/err" | tail -n 1 || true)
    reason="${reason:-no message} (cosign exit $rc)"
  fi
  printf 'trust: REFUSED %s: %s\n' "$label" "$reason" >&2
  refused+=("$label")
  return 0
}

log "trust: verifying $image against $described"
check "signature" verify "${trust[@]}" "$image"
for type in ${types[@]+"${types[@]}"}; do
  check "attestation $type" verify-attestation "${trust[@]}" --type "$type" "$image"
done

if [ "${#refused[@]}" -gt 0 ]; then
  joined=$(printf '%s, ' "${refused[@]}")
  printf 'error: %s is not trusted: %s did not verify against %s: it must not be deployed\n' \
    "$image" "${joined%, }" "$described" >&2
  exit 1
fi
log "trust: $image: the signature${types[0]+ and ${#types[@]} attestation(s)} verified against $described"
