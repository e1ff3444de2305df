// The HA pair as a Pulumi program: two directors (Hosts), a VRRP group holding the VIP (lb1 master at
// priority 200, lb2 backup at 150), and a virtual server on the VIP's port 80 with one real server.
// Everything site-specific comes from the stack's configuration (see README.md).
package main

import (
	"strings"

	"github.com/keepalive/keepalive/sdk/go/keepalive"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func haPair(ctx *pulumi.Context) error {
	conf := config.New(ctx, "")
	privateKey := conf.RequireSecret("privateKey")
	serviceManager := conf.Get("serviceManager")
	if serviceManager == "" {
		serviceManager = "systemd"
	}
	iface := conf.Get("interface")
	if iface == "" {
		iface = "eth0"
	}
	vip := conf.Require("virtualIp")

	var members keepalive.VrrpMemberArray
	var connections keepalive.HostConnectionArray
	for _, d := range []struct {
		name     string
		priority int
	}{{"lb1", 200}, {"lb2", 150}} {
		host, err := keepalive.NewHost(ctx, d.name, &keepalive.HostArgs{
			Address:        pulumi.String(conf.Require(d.name + "Address")),
			HostKey:        pulumi.String(conf.Require(d.name + "HostKey")),
			PrivateKey:     privateKey,
			ServiceManager: keepalive.ServiceManager(serviceManager),
		})
		if err != nil {
			return err
		}
		members = append(members, keepalive.VrrpMemberArgs{Host: host.Connection, Priority: pulumi.Int(d.priority)})
		connections = append(connections, host.Connection)
	}

	group, err := keepalive.NewVrrpGroup(ctx, "vip", &keepalive.VrrpGroupArgs{
		Vrid:       pulumi.Int(51),
		Interface:  pulumi.String(iface),
		VirtualIps: pulumi.StringArray{pulumi.String(vip)},
		Members:    members,
	})
	if err != nil {
		return err
	}

	web, err := keepalive.NewVirtualServer(ctx, "web", &keepalive.VirtualServerArgs{
		Address:   pulumi.String(strings.Split(vip, "/")[0]),
		Port:      pulumi.Int(80),
		Scheduler: keepalive.SchedulerWeightedRoundRobin,
		Directors: connections,
		HealthCheck: keepalive.HealthCheckArgs{
			Kind:               pulumi.String("TCP_CHECK"),
			DelayLoopMs:        pulumi.Int(2000),
			ConnectTimeoutMs:   pulumi.Int(1000),
			Retry:              pulumi.Int(1),
			DelayBeforeRetryMs: pulumi.Int(500),
		},
	}, pulumi.DependsOn([]pulumi.Resource{group}))
	if err != nil {
		return err
	}

	if _, err := keepalive.NewRealServer(ctx, "app", &keepalive.RealServerArgs{
		VirtualServer: web.Ref,
		Address:       pulumi.String(conf.Require("realServer")),
		Port:          pulumi.Int(80),
	}); err != nil {
		return err
	}

	ctx.Export("expectedMaster", group.ExpectedMaster)
	ctx.Export("liveMaster", group.LiveMaster)
	return nil
}
