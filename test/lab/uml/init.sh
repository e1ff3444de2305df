#!/bin/sh
# PID 1 of a user-mode-linux guest booted by test/lab/uml.ts on the host's root, read-only over hostfs.
# The kernel hands it unknown boot parameters as environment: keepalive_job (a host directory holding
# cmd.sh, where stdout, stderr and rc are written back), keepalive_mods (modules to load first) and
# keepalive_addr (an address for vec0, when the guest is wired to a lab segment) and keepalive_repo
# (the repository's directory).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C
here=${0%/*}
# One mount -a: each process started in the guest costs tens of milliseconds.
mount -a -T "$here/fstab"
# The repository (its node and scripts) must stay visible where the guest's own /tmp covers it, as in
# a checkout under /tmp: mount that host directory back, read-only.
case "$keepalive_repo" in
  /tmp/*) mkdir -p "$keepalive_repo" && mount -r -t hostfs -o "$keepalive_repo" hostfs "$keepalive_repo" ;;
esac
mkdir -p /run/job /run/modules/lib/modules
mount -t hostfs -o "$keepalive_job" hostfs /run/job
# modprobe -d wants DIR/lib/modules/VERSION; Debian ships the UML kernel's modules (with modules.dep)
# under /usr/lib/uml/modules. The wrapper lets the kernel load schedulers on demand too.
read -r version < /proc/sys/kernel/osrelease
ln -s "/usr/lib/uml/modules/$version" "/run/modules/lib/modules/$version"
printf '#!/bin/sh\nexec /usr/sbin/modprobe -d /run/modules "$@"\n' > /run/modprobe
chmod 755 /run/modprobe
echo /run/modprobe > /proc/sys/kernel/modprobe
# IPVS refuses masquerading destinations while lo is down ("address not unicast").
ip link set lo up
if [ -n "$keepalive_mods" ]; then
  IFS=,; set -- $keepalive_mods; IFS=' '
  /run/modprobe -a "$@" || echo "init: modprobe $keepalive_mods failed" >&2
fi
if [ -n "$keepalive_addr" ]; then
  ip addr add "$keepalive_addr" dev vec0 && ip link set vec0 up
fi
(cd /tmp && exec /bin/sh /run/job/cmd.sh) >/run/job/stdout 2>/run/job/stderr </dev/null
echo "$?" > /run/job/rc
umount /run/job
# Power off at once; if init returned instead, the kernel would panic.
echo o > /proc/sysrq-trigger
sleep 10
