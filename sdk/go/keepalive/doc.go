// keepalived rebuilt in TypeScript: VRRP failover and IPVS load balancing on Linux hosts, installed and configured over SSH, with a preview of who will be master.
package keepalive
