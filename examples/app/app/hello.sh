#!/bin/sh
# The "service": prints a greeting with the version it was built with.
echo "hello from example-app $(cat /opt/services/hello/VERSION)"
