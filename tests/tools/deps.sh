#!/bin/sh
# Installs the Debian packages winch's build, tests and demo need, only those missing.
set -e
PKGS="gcc make pkg-config libcurl4-openssl-dev libcjson-dev libssl-dev libarchive-dev zlib1g-dev libyaml-dev
      libsodium-dev docker-registry skopeo umoci apache2-utils openssl python3 ca-certificates time
      python3-cryptography python3-nacl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing > /dev/null
