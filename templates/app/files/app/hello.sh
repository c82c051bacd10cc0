#!/bin/sh
# The "app": prints its version.
set -eu
echo "hello from app $(cat /opt/app/VERSION)"
