#!/usr/bin/env bash
# Join per-platform images, pushed by digest, into one multi-platform image index, and
# give that index its tags, writing each tag at most once.
#
#   publish-index.sh --repository REGISTRY/NAME --tag TAG [--tag TAG]...
#                    [--platforms "linux/amd64 linux/arm64"] [--plain-http]
#                    [--auth-file FILE] SOURCE_DIGEST...
#   publish-index.sh --repository REGISTRY/NAME --tag TAG [--tag TAG]... --index DIGEST ...
#
# Each SOURCE_DIGEST (sha256:...) is read from the repository. A source that is an image
# index (what `docker buildx build --push` with attestations pushes by digest) gives all
# of its entries, attestation manifests included, unchanged; a single image manifest
# gives one entry, its platform read from its config. The new OCI image index holds them
# in the order given and must hold exactly --platforms (entries whose platform is
# unknown/unknown, attestations, aside). --index DIGEST instead gives the tags to an index
# already in the repository (a re-run that stopped between two tags).
#
# Tags: each --tag is written in the order given, and only when it is missing. A tag that
# already names this index is left alone; a tag that names anything else stops the
# script before any tag is written. So on a registry with immutable tags (ECR
# IMMUTABLE) a first run and any re-run succeed, and nothing is ever overwritten.
#
# The registry is spoken to with its HTTP API (the OCI distribution specification):
# https, or http with --plain-http (a registry on 127.0.0.1 in the tests). Credentials:
# the "auth" of the registry in FILE (default: the Docker client's config.json, where
# `docker login` and aws-actions/amazon-ecr-login put them); none when there is none.
#
# Output (stdout, and $GITHUB_OUTPUT when set): digest=sha256:... of the index, and
# platforms="linux/amd64 linux/arm64". Exit 0 done; 1 a refusal or a registry error;
# 2 bad arguments.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

readonly INDEX_TYPE=application/vnd.oci.image.index.v1+json
readonly ACCEPT="$INDEX_TYPE,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.docker.distribution.manifest.v2+json"

repository="" platforms="linux/amd64 linux/arm64" scheme=https index="" auth_file=""
tags=() sources=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --repository) repository=$(option_value "$@"); shift 2 ;;
    --tag) tags+=("$(option_value "$@")"); shift 2 ;;
    --platforms) platforms=$(option_value "$@"); shift 2 ;;
    --index) index=$(option_value "$@"); shift 2 ;;
    --auth-file) auth_file=$(option_value "$@"); shift 2 ;;
    --plain-http) scheme=http; shift ;;
    -h | --help) show_help; exit 0 ;;
    -*) usage_error "unknown option '$1'" ;;
    *) sources+=("$1"); shift ;;
  esac
done
[[ $repository == ?*/?* ]] || usage_error "--repository REGISTRY/NAME is required"
[ "${#tags[@]}" -gt 0 ] || usage_error "at least one --tag is required"
for tag in "${tags[@]}"; do
  [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || usage_error "'$tag' is not a valid tag"
done
if [ -n "$index" ]; then
  [ "${#sources[@]}" -eq 0 ] || usage_error "give SOURCE_DIGEST... or --index, not both"
  sources=("$index")
fi
[ "${#sources[@]}" -gt 0 ] || usage_error "give the per-platform SOURCE_DIGEST... (or --index DIGEST)"
for digest in "${sources[@]}"; do
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || usage_error "'$digest' is not a sha256 digest"
done
require_commands curl jq sha256sum

registry=${repository%%/*}
name=${repository#*/}
base="$scheme://$registry/v2/$name"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Credentials for the registry, from the Docker client's configuration (never printed).
auth_header=()
auth_file=${auth_file:-${DOCKER_CONFIG:-$HOME/.docker}/config.json}
if [ -r "$auth_file" ]; then
  auth=$(jq -r --arg r "$registry" '(.auths // {}) | (.[$r] // .["https://" + $r] // {}) | .auth // empty' "$auth_file")
  if [ -n "$auth" ]; then
    printf 'header = "Authorization: Basic %s"\n' "$auth" >"$work/auth.conf"
    auth_header=(--config "$work/auth.conf")
  fi
fi

# api METHOD PATH OUT [CURL ARGS...]: prints the HTTP status; the body goes to OUT,
# the response headers to OUT.headers.
api() {
  local method=$1 path=$2 out=$3
  shift 3
  curl -sS -X "$method" ${auth_header[@]+"${auth_header[@]}"} -o "$out" -D "$out.headers" \
    -w '%{http_code}' "$@" "$base/$path" || die "$method $base/$path: no answer from the registry"
}

# manifest REF OUT: the raw manifest named by REF (digest or tag) into OUT; prints the
# HTTP status (200, or 404 when there is none).
manifest() {
  local status
  status=$(api GET "manifests/$1" "$2" -H "Accept: $ACCEPT")
  case $status in
    200 | 404) echo "$status" ;;
    *) die "GET $base/manifests/$1: HTTP $status: $(head -c 300 "$2")" ;;
  esac
}

sha256_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# The index: assembled from the sources, or the one named by --index.
if [ -n "$index" ]; then
  [ "$(manifest "$index" "$work/index.json")" = 200 ] || die "the index $index is not in $repository"
else
  : >"$work/entries.jsonl"
  n=0
  for digest in "${sources[@]}"; do
    n=$((n + 1))
    [ "$(manifest "$digest" "$work/source-$n")" = 200 ] || die "the source $digest is not in $repository (pushed by digest?)"
    [ "$(sha256_of "$work/source-$n")" = "$digest" ] || die "the registry answered $digest with other bytes"
    media=$(jq -r '.mediaType // empty' "$work/source-$n")
    case $media in
      application/vnd.oci.image.index.v1+json | application/vnd.docker.distribution.manifest.list.v2+json)
        jq -c '.manifests[]' "$work/source-$n" >>"$work/entries.jsonl" ;;
      application/vnd.oci.image.manifest.v1+json | application/vnd.docker.distribution.manifest.v2+json)
        config=$(jq -r '.config.digest' "$work/source-$n")
        status=$(api GET "blobs/$config" "$work/config-$n" -L)
        [ "$status" = 200 ] || die "GET $base/blobs/$config: HTTP $status"
        jq -c --arg media "$media" --arg digest "$digest" --argjson size "$(stat -c %s "$work/source-$n")" \
          '{mediaType: $media, digest: $digest, size: $size,
            platform: ({os, architecture} + (if .variant then {variant} else {} end))}' \
          "$work/config-$n" >>"$work/entries.jsonl" ;;
      *) die "the source $digest is a '$media', not an image index or manifest" ;;
    esac
  done
  jq -cs --arg media "$INDEX_TYPE" '{schemaVersion: 2, mediaType: $media, manifests: .}' \
    "$work/entries.jsonl" | tr -d '\n' >"$work/index.json"
fi
digest=$(sha256_of "$work/index.json")

# Exactly the platforms asked for, each once.
found=$(jq -r '[.manifests[].platform // {} | select(.os != "unknown")
                | "\(.os)/\(.architecture)\(if .variant then "/" + .variant else "" end)"] | sort | join(" ")' \
  "$work/index.json")
wanted=$(tr ' ' '\n' <<<"$platforms" | sed '/^$/d' | sort | paste -sd ' ')
[ "$found" = "$wanted" ] || die "the index would hold '$found', not '$wanted'"

# Every tag checked before the first is written: missing, or already this index.
to_write=()
for tag in "${tags[@]}"; do
  case $(manifest "$tag" "$work/tag-$tag") in
    404) to_write+=("$tag") ;;
    200)
      existing=$(sha256_of "$work/tag-$tag")
      [ "$existing" = "$digest" ] ||
        die "the tag $tag already names $existing in $repository, not this index ($digest); tags are immutable: nothing written"
      log "tag $tag already names $digest: left alone" ;;
  esac
done
for tag in ${to_write[@]+"${to_write[@]}"}; do
  status=$(api PUT "manifests/$tag" "$work/put-$tag" -H "Content-Type: $INDEX_TYPE" --data-binary "@$work/index.json")
  [ "$status" = 201 ] || die "PUT $base/manifests/$tag: HTTP $status: $(head -c 300 "$work/put-$tag")"
  log "tagged $repository:$tag -> $digest"
done

# Read back: every tag names the index.
for tag in "${tags[@]}"; do
  [ "$(manifest "$tag" "$work/check-$tag")" = 200 ] || die "the tag $tag is missing after the push"
  [ "$(sha256_of "$work/check-$tag")" = "$digest" ] || die "the tag $tag names other bytes after the push"
done
emit_output digest "$digest"
emit_output platforms "$found"
