#!/usr/bin/env bash
# Builds the container images of the five services and of the storefront (web) with podman, from
# infra/docker/Dockerfile (DESIGN.md sections 9 and 14; infra/k8s/README.md says how to push and
# run them).
#   scripts/images.sh [build]   make the Debian 12 base image if it is missing, then build
#                               ticketing/<svc>:<version> for every service (one shared build
#                               stage: the code compiles once) and ticketing/web:<version> (nginx
#                               with web/dist and api/dist, which scripts/web-build.sh builds
#                               first on this machine), and print their sizes
#   scripts/images.sh base      only make the base image (docker.io/library/debian:12 and -slim)
#   scripts/images.sh sizes     print the sizes of the built images against the budget; exit 1 if
#                               one is over it or missing
#   scripts/images.sh tag       print the tag the images get (the project's version)
#   scripts/images.sh names     print the image names, one per line, as the manifests write them
#                               (ticketing/<svc>:<tag>, which is docker.io/ticketing/<svc>:<tag>)
# The version is CMakeLists.txt's project VERSION: infra/k8s names exactly these images.
# There is no registry of base images here, so the base image is made with debootstrap from the
# Debian mirror this machine's apt uses, and kept by podman between runs (it is made once).
# Environment:
#   CONTAINERS_CONF       default infra/containers/containers.conf (runc, cgroupfs, ulimits)
#   TICKETING_IMAGE_BUDGET_MB   per-image budget for `sizes` (default 150)
#   DEBIAN_MIRROR         the mirror for debootstrap (default: the first one apt is configured with)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/infra/containers/containers.conf}
SERVICES=(auth tickets orders expiration payments)
IMAGES=("${SERVICES[@]}" web)
BASE=docker.io/library/debian:12
BUDGET_MB=${TICKETING_IMAGE_BUDGET_MB:-150}

version() {
  sed -n 's/^project(ticketing VERSION \([0-9][0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt"
}

names() {
  local tag svc
  tag=$(version)
  for svc in "${IMAGES[@]}"; do echo "ticketing/$svc:$tag"; done
}

need_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "images: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      podman runc debootstrap uidmap >/dev/null
  fi
}

# The mirror apt uses here (deb822 .sources or one-line .list), so the images need no host name of
# their own and fetch from where this machine may fetch.
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local f url
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    url=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }
               /^deb / && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' "$f")
    if [ -n "$url" ]; then echo "$url"; return; fi
  done
  echo "images: no Debian mirror found in /etc/apt; set DEBIAN_MIRROR" >&2
  return 1
}

# debian:12 as Docker Hub's debian:12-slim is made: a minbase bookworm whose dpkg leaves out
# documentation, manuals and translations (also for packages installed later), apt lists and
# caches emptied. The same image is tagged debian:12 and debian:12-slim: the build stage needs
# nothing the slim variant lacks.
make_base() {
  if podman image exists "$BASE" && podman image exists "$BASE-slim"; then
    echo "images: base $BASE present"
    return
  fi
  local mirror dir start=$SECONDS
  mirror=$(debian_mirror)
  dir=$(mktemp -d /var/tmp/ticketing-rootfs.XXXXXX)
  echo "images: making $BASE with debootstrap (about a minute)"
  if ! debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1; then
    tail -20 "$dir.log" >&2
    echo "images: debootstrap failed (log: $dir.log)" >&2
    rm -rf "$dir"
    return 1
  fi
  rm -f "$dir.log"
  # The suites a Debian 12 image has: the release, its updates and the security archive, from
  # the mirrors this machine uses.
  rm -f "$dir/etc/apt/sources.list"
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && install -D -m 0644 "$f" "$dir$f"
  done
  cat > "$dir/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
# As Docker Hub's debian:*-slim: no documentation, manuals or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  cat > "$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
         "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log \
         "$dir"/var/cache/debconf/*-old
  tar -C "$dir" --numeric-owner -c . | podman import --quiet \
    --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$BASE" >/dev/null
  podman tag "$BASE" "$BASE-slim"
  rm -rf "$dir"
  echo "images: $BASE made in $((SECONDS - start)) s"
}

build() {
  make_base
  local tag svc start=$SECONDS
  tag=$(version)
  # One podman build per image; the build stage is the same for all five (no build argument
  # reaches it), so it runs once and the other four take it from the layer cache.
  # Progress: podman's STEP lines and every tenth of the compiler's; the whole output goes to a
  # log, whose end is shown when a build fails.
  local log
  log=$(mktemp /var/tmp/ticketing-images.XXXXXX.log)
  # The build stage gets a name of its own, so that pruning what earlier builds left behind
  # (below) keeps it: it is the layer cache of the next build.
  local -a targets=(build "${IMAGES[@]}")
  for svc in "${targets[@]}"; do
    # The web image copies the storefront's and the API page's built files.
    if [ "$svc" = web ]; then bash "$ROOT/scripts/web-build.sh"; fi
    local name="docker.io/ticketing/$svc:$tag"
    if [ "$svc" = build ]; then name=localhost/ticketing-build:cache; fi
    echo "images: building $name"
    # Fully qualified as Kubernetes and Docker read the manifests' `ticketing/<svc>:<tag>`
    # (podman would otherwise file an unqualified name under localhost/).
    if ! podman build --layers --target "$svc" -f "$ROOT/infra/docker/Dockerfile" \
        -t "$name" "$ROOT" 2>&1 | tee -a "$log" | awk '
          / STEP [0-9]+\/[0-9]+: |^STEP [0-9]+\/[0-9]+: / { print "  " substr($0, 1, 100); fflush(); next }
          /^--> Using cache/ { print "    (cached)"; fflush(); next }
          /^\[[0-9]+\/[0-9]+\] (Building|Linking)/ { split(substr($1, 2), a, "/"); a[1] += 0
            if (a[1] % 10 == 0 || a[1] == a[2] + 0) { print "    compiling " $1; fflush() } }'; then
      tail -40 "$log" >&2
      echo "images: building $name failed (log: $log)" >&2
      return 1
    fi
  done
  rm -f "$log"
  # Stages of earlier builds that nothing names any more (each rebuild of the build stage leaves
  # one of about 1 GB).
  podman image prune -f >/dev/null
  echo "images: built in $((SECONDS - start)) s"
  sizes
}

sizes() {
  local name bytes mb status=0
  printf '%-32s %10s  (budget %d MB)\n' image size "$BUDGET_MB"
  while IFS= read -r name; do
    if ! bytes=$(podman image inspect --format '{{.Size}}' "$name" 2>/dev/null); then
      printf '%-32s %10s  FAIL\n' "$name" missing
      status=1
      continue
    fi
    mb=$((bytes / 1000000))
    if [ "$mb" -lt "$BUDGET_MB" ]; then
      printf '%-32s %7d MB  ok\n' "$name" "$mb"
    else
      printf '%-32s %7d MB  FAIL: over budget\n' "$name" "$mb"
      status=1
    fi
  done < <(names)
  return $status
}

CMD=${1:-build}
case $CMD in
  build) need_tools; build ;;
  base) need_tools; make_base ;;
  sizes) sizes ;;
  tag) version ;;
  names) names ;;
  -h|--help|help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
  *) echo "unknown command: $CMD (build, base, sizes, tag, names)" >&2; exit 2 ;;
esac
