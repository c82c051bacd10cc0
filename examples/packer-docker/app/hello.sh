#!/bin/sh
# The hello service: prints who it is and which version is installed.
echo "hello from example-packer-hello $(cat /opt/services/hello/VERSION) as $(id -un)"
