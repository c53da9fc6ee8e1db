#!/usr/bin/env bash
# Release archives of k6 built with this extension: what `make release-build`
# runs here and what .github/workflows/release.yml runs for a tag.
#
#   scripts/release.sh build OS/ARCH...   one archive per target in DIST
#   scripts/release.sh checksums          DIST's archives' sha256 sums
#   scripts/release.sh notes              RELEASE_VERSION's section of CHANGELOG.md
#
# Environment: XK6 (the xk6 binary), K6_VERSION, RELEASE_VERSION (the tag, or
# "dev"), RELEASE_WITH (the extension's --with: the checkout "MODULE=." here,
# "MODULE@TAG" from the module proxy at release, so k6 reports the version),
# DIST (dist).
set -euo pipefail

: "${RELEASE_VERSION:?RELEASE_VERSION is the tag, or dev}"
DIST=${DIST:-dist}
NAME=xk6-registry
cd "$(dirname "$0")/.."

# Where the module cache holds the k6 that xk6 built with: go.k6.io/k6/vN from v2 on.
k6_module_dir() {
  local major=${K6_VERSION#v}
  major=${major%%.*}
  local module=go.k6.io/k6
  [ "$major" -ge 2 ] && module=$module/v$major
  echo "$(go env GOMODCACHE)/$module@$K6_VERSION"
}

build() {
  : "${XK6:?XK6 is the xk6 binary}" "${K6_VERSION:?}" "${RELEASE_WITH:?}"
  local target os arch dir exe
  for target in "$@"; do
    os=${target%/*} arch=${target#*/}
    dir=${NAME}_${RELEASE_VERSION}_${os}_${arch}
    exe=k6
    [ "$os" = windows ] && exe=k6.exe
    echo "=== $target: $DIST/$dir"
    rm -rf "${DIST:?}/$dir"
    mkdir -p "$DIST/$dir"
    CGO_ENABLED=0 "$XK6" build --k6-version "$K6_VERSION" --os "$os" --arch "$arch" \
      --with "$RELEASE_WITH" --output "$DIST/$dir/$exe"
    cp LICENSE README.md CHANGELOG.md "$DIST/$dir/"
    # The binary is a k6 build: k6's own license (AGPL-3.0) goes with it.
    cp "$(k6_module_dir)/LICENSE.md" "$DIST/$dir/LICENSE-k6.md"
    if [ "$os" = "$(go env GOHOSTOS)" ] && [ "$arch" = "$(go env GOHOSTARCH)" ]; then
      # The one binary that runs here: it must carry the extension.
      local version
      version=$("$DIST/$dir/$exe" version)
      echo "$version"
      grep -q 'k6/x/registry' <<<"$version" ||
        { echo "$DIST/$dir/$exe version does not list k6/x/registry" >&2; exit 1; }
      if [ "$RELEASE_WITH" != "${RELEASE_WITH%@"$RELEASE_VERSION"}" ]; then
        grep -q "xk6-registry $RELEASE_VERSION, k6/x/registry" <<<"$version" ||
          { echo "$DIST/$dir/$exe version does not report $RELEASE_VERSION" >&2; exit 1; }
      fi
    fi
    (
      cd "$DIST"
      rm -f "$dir.zip" "$dir.tar.gz"
      if [ "$os" = windows ]; then
        zip -qr -X "$dir.zip" "$dir"
      else
        tar --sort=name --owner=0 --group=0 --numeric-owner -czf "$dir.tar.gz" "$dir"
      fi
    )
  done
}

checksums() {
  (
    cd "$DIST"
    shopt -s nullglob
    local archives=("${NAME}_${RELEASE_VERSION}"_*.tar.gz "${NAME}_${RELEASE_VERSION}"_*.zip)
    [ ${#archives[@]} -gt 0 ] || { echo "no archives in $DIST" >&2; exit 1; }
    sha256sum "${archives[@]}" | tee "${NAME}_${RELEASE_VERSION}_checksums.txt"
  )
}

# The release notes: the version's section of CHANGELOG.md, its heading left out.
notes() {
  local version=${RELEASE_VERSION#v}
  awk -v heading="## [$version]" '
    index($0, heading) == 1 { found = 1; next }
    found && /^## \[/ { exit }
    found && /^\[[^]]*\]: / { exit }
    found { print }
    END { if (!found) exit 1 }
  ' CHANGELOG.md || { echo "CHANGELOG.md has no section [$version]" >&2; exit 1; }
}

case "${1:-}" in
  build) shift; build "$@" ;;
  checksums) checksums ;;
  notes) notes ;;
  *) echo "usage: $0 build OS/ARCH... | checksums | notes" >&2; exit 2 ;;
esac
