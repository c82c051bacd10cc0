#!/bin/sh
# Runs at build time; APP_VERSION arrives as an environment variable, never spliced into this script.
set -eu
/opt/example/bin/example-health /opt/services/hello/hello.sh /opt/services/hello/VERSION
printf '%s\n' "$APP_VERSION" > /var/lib/example/hello/installed
