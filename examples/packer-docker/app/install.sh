#!/bin/sh
# Runs once while the image is baked: records the installed version.
set -eu
echo "installed $APP_VERSION" > /var/lib/hello/installed
