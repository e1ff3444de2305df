"""The HA pair as a Pulumi program: two directors (Hosts), a VRRP group holding the VIP (lb1 master at
priority 200, lb2 backup at 150), and a virtual server on the VIP's port 80 with one real server.
Everything site-specific comes from the stack's configuration (see README.md)."""
import pulumi
import pulumi_keepalive as keepalive


def ha_pair() -> None:
    config = pulumi.Config()
    private_key = config.require_secret("privateKey")
    service_manager = config.get("serviceManager") or "systemd"
    interface = config.get("interface") or "eth0"
    vip = config.require("virtualIp")

    directors = []
    for name, priority in (("lb1", 200), ("lb2", 150)):
        host = keepalive.Host(
            name,
            address=config.require(f"{name}Address"),
            host_key=config.require(f"{name}HostKey"),
            private_key=private_key,
            service_manager=service_manager,
        )
        directors.append((host, priority))

    group = keepalive.VrrpGroup(
        "vip",
        vrid=51,
        interface=interface,
        virtual_ips=[vip],
        members=[keepalive.VrrpMemberArgs(host=host.connection, priority=priority) for host, priority in directors],
    )

    web = keepalive.VirtualServer(
        "web",
        address=vip.split("/")[0],
        port=80,
        scheduler="wrr",
        directors=[host.connection for host, _ in directors],
        health_check=keepalive.HealthCheckArgs(
            kind="TCP_CHECK", delay_loop_ms=2000, connect_timeout_ms=1000, retry=1, delay_before_retry_ms=500
        ),
        opts=pulumi.ResourceOptions(depends_on=[group]),
    )

    keepalive.RealServer("app", virtual_server=web.ref, address=config.require("realServer"), port=80)

    pulumi.export("expectedMaster", group.expected_master)
    pulumi.export("liveMaster", group.live_master)
