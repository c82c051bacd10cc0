#!/bin/sh
# Runs once at build time, inside the image being built.
set -eu
echo "installing hello ${APP_VERSION}"
printf '%s\n' "$APP_VERSION" > /opt/app/installed
