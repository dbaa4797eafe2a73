#!/bin/sh
# meson install script: install the sample configuration $1 as $2 (under $DESTDIR) unless a
# file is already there: an upgrade never overwrites the administrator's configuration.
set -eu
src=$1
dst=${DESTDIR:-}$2
if [ -e "$dst" ]; then
	echo "rootwalk: keeping the existing $dst"
	exit 0
fi
mkdir -p "$(dirname "$dst")"
install -m 0644 "$src" "$dst"
echo "rootwalk: installed $dst"
