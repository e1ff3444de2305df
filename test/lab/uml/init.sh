#!/bin/sh
# PID 1 of a user-mode-linux guest booted by test/lab/uml.ts on the host's root, read-only over hostfs.
# The kernel hands it unknown boot parameters as environment: keepalive_job (a host directory holding
# cmd.sh, where stdout, stderr and rc are written back), keepalive_mods (modules to load first) and
# keepalive_addr (an address for vec0, when the guest is wired to a lab segment), keepalive_repo
# (the repository's directory), keepalive_kernel (scripts/uml-kernel's directory: this kernel and
# its modules) and keepalive_exchange (a host directory shared read-write at /run/exchange).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C
here=${0%/*}
# One mount -a: each process started in the guest costs tens of milliseconds.
mount -a -T "$here/fstab"
# The repository (its node and scripts) and the kernel's modules must stay visible where the guest's
# own /tmp covers them, as in a checkout under /tmp: mount those host directories back, read-only.
for dir in "$keepalive_repo" "$keepalive_kernel"; do
  case "$dir" in
    /tmp/*) mkdir -p "$dir" && mount -r -t hostfs -o "$dir" hostfs "$dir" ;;
  esac
done
mkdir -p /run/job /run/modules/lib/modules
mount -t hostfs -o "$keepalive_job" hostfs /run/job
if [ -n "$keepalive_exchange" ]; then
  mkdir -p /run/exchange && mount -t hostfs -o "$keepalive_exchange" hostfs /run/exchange
fi
# modprobe -d wants DIR/lib/modules/VERSION; the UML kernel's modules (with modules.dep) are in
# $keepalive_kernel/modules. The wrapper lets the kernel load schedulers on demand too.
read -r version < /proc/sys/kernel/osrelease
ln -s "$keepalive_kernel/modules/$version" "/run/modules/lib/modules/$version"
printf '#!/bin/sh\nexec /usr/sbin/modprobe -d /run/modules "$@"\n' > /run/modprobe
chmod 755 /run/modprobe
echo /run/modprobe > /proc/sys/kernel/modprobe
# UML 7.2 corrupts pages that a process maps from io_uring ("BUG: Bad page map ... file:[io_uring]",
# then the guest dies), and Node's libuv uses io_uring where the kernel has it: switch it off, so that
# libuv falls back to its thread pool. Kernels before 6.6 have no such switch (and no such bug).
[ -w /proc/sys/kernel/io_uring_disabled ] && echo 2 > /proc/sys/kernel/io_uring_disabled
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
[ -n "$keepalive_exchange" ] && umount /run/exchange
# Power off at once; if init returned instead, the kernel would panic.
echo o > /proc/sysrq-trigger
sleep 10
