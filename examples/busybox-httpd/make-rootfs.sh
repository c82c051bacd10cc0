#!/bin/sh
# Makes ./rootfs, a tiny offline base from the static busybox (Debian: apt-get install busybox-static).
set -eu
cd "$(dirname "$0")"
busybox=${BUSYBOX:-/bin/busybox}
rm -rf rootfs
mkdir -p rootfs/bin rootfs/etc rootfs/tmp rootfs/proc rootfs/dev rootfs/root
cp "$busybox" rootfs/bin/busybox
chmod 755 rootfs/bin/busybox
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/srv/www:/bin/false\n' > rootfs/etc/passwd
printf 'root:x:0:\nwww:x:33:\n' > rootfs/etc/group
echo "made $(pwd)/rootfs"
