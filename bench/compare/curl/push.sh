#!/usr/bin/env bash
# push.sh pushes images with curl the way it is scripted by hand: per blob a
# POST to open an upload, then either a PATCH with the file and a PUT
# ?digest= (UPLOAD=stream, what docker does) or one PUT ?digest= with the
# file (UPLOAD=monolithic); then a PUT of the manifest.
#
#   push.sh layout DIR PUSHES CONCURRENCY REPO_PREFIX
#     pushes the image of the OCI layout DIR (a docker save tar, extracted).
#   push.sh fresh LAYERS LAYER_BYTES PUSHES CONCURRENCY REPO_PREFIX
#     makes a new image for every push: LAYERS files of LAYER_BYTES from
#     /dev/urandom in $TMPDIR, their sha256sum, a config and a manifest.
#
# Push I goes to REPO_PREFIX-I:1. REGISTRY_URL is the registry; CURL_FLAGS
# adds flags (-k --http2 for TLS).
set -euo pipefail
source "$(dirname "$0")/../parallel.sh"
read -r -a flags <<<"${CURL_FLAGS:-}"

manifest_type=application/vnd.oci.image.manifest.v1+json
config_type=application/vnd.oci.image.config.v1+json
layer_type=application/vnd.oci.image.layer.v1.tar

# location reads the Location header of a response dumped with -D - and
# makes it absolute.
location() {
  local loc
  loc=$(tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
  if [ -z "$loc" ]; then
    echo "push.sh: no Location header" >&2
    return 1
  fi
  case $loc in
    /*) echo "$REGISTRY_URL$loc" ;;
    *) echo "$loc" ;;
  esac
}

# with_digest appends digest=DIGEST to an upload URL, which may hold a query.
with_digest() {
  case $1 in
    *\?*) echo "$1&digest=$2" ;;
    *) echo "$1?digest=$2" ;;
  esac
}

# upload_blob REPO FILE DIGEST
upload_blob() {
  local repo=$1 file=$2 digest=$3 url
  url=$(curl -fsS "${flags[@]}" -X POST -D - -o /dev/null "$REGISTRY_URL/v2/$repo/blobs/uploads/" | location)
  case ${UPLOAD:-stream} in
    stream)
      url=$(curl -fsS "${flags[@]}" -X PATCH -H 'Content-Type: application/octet-stream' -T "$file" -D - -o /dev/null "$url" | location)
      curl -fsS "${flags[@]}" -X PUT -o /dev/null "$(with_digest "$url" "$digest")"
      ;;
    monolithic)
      curl -fsS "${flags[@]}" -X PUT -H 'Content-Type: application/octet-stream' -T "$file" -o /dev/null "$(with_digest "$url" "$digest")"
      ;;
    *)
      echo "push.sh: UPLOAD=$UPLOAD is neither stream nor monolithic" >&2
      return 1
      ;;
  esac
}

# push_manifest REPO DIR MANIFEST_FILE: uploads the config and layers the
# manifest names, from DIR/blobs/sha256/, then the manifest.
push_manifest() {
  local repo=$1 dir=$2 manifest=$3 digest
  for digest in $(jq -r '.config.digest, .layers[].digest' "$manifest"); do
    upload_blob "$repo" "$dir/blobs/sha256/${digest#sha256:}" "$digest"
  done
  curl -fsS "${flags[@]}" -X PUT -H "Content-Type: $manifest_type" --data-binary "@$manifest" -o /dev/null \
    "$REGISTRY_URL/v2/$repo/manifests/1"
}

push_layout() {
  local manifest
  manifest=$(jq -r '.manifests[0].digest' "$layout/index.json")
  push_manifest "$prefix-$1" "$layout" "$layout/blobs/sha256/${manifest#sha256:}"
}

# push_fresh writes new blobs in the layout's blobs/sha256/ naming, so
# push_manifest reads them the same way.
push_fresh() {
  local dir sum digest l layers_json='[]' diff_ids='[]' config
  dir=$(mktemp -d)
  mkdir -p "$dir/blobs/sha256"
  for ((l = 0; l < layer_count; l++)); do
    head -c "$layer_bytes" /dev/urandom >"$dir/layer"
    sum=$(sha256sum "$dir/layer")
    digest="sha256:${sum%% *}"
    mv "$dir/layer" "$dir/blobs/sha256/${sum%% *}"
    layers_json=$(jq -c --arg d "$digest" --argjson s "$layer_bytes" --arg t "$layer_type" \
      '. + [{mediaType: $t, digest: $d, size: $s}]' <<<"$layers_json")
    diff_ids=$(jq -c --arg d "$digest" '. + [$d]' <<<"$diff_ids")
  done
  jq -c --argjson ids "$diff_ids" -n '{architecture: "amd64", os: "linux", rootfs: {type: "layers", diff_ids: $ids}}' >"$dir/config"
  sum=$(sha256sum "$dir/config")
  mv "$dir/config" "$dir/blobs/sha256/${sum%% *}"
  config=$(jq -c -n --arg d "sha256:${sum%% *}" --argjson s "$(stat -c %s "$dir/blobs/sha256/${sum%% *}")" --arg t "$config_type" \
    '{mediaType: $t, digest: $d, size: $s}')
  jq -c -n --arg t "$manifest_type" --argjson c "$config" --argjson l "$layers_json" \
    '{schemaVersion: 2, mediaType: $t, config: $c, layers: $l}' >"$dir/manifest.json"
  push_manifest "$prefix-$1" "$dir" "$dir/manifest.json"
  rm -rf "$dir"
}

case ${1:-} in
  layout)
    layout=$2 pushes=$3 concurrency=$4 prefix=$5
    run_parallel "$pushes" "$concurrency" push_layout
    ;;
  fresh)
    layer_count=$2 layer_bytes=$3 pushes=$4 concurrency=$5 prefix=$6
    run_parallel "$pushes" "$concurrency" push_fresh
    ;;
  *)
    echo "usage: push.sh layout DIR PUSHES CONCURRENCY REPO_PREFIX | push.sh fresh LAYERS LAYER_BYTES PUSHES CONCURRENCY REPO_PREFIX" >&2
    exit 2
    ;;
esac
