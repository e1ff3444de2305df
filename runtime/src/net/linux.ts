// Linux socket constants, as the kernel's uapi headers define them (identical on every architecture
// this project targets: x86-64 and arm64). Kept in one place so that every adapter speaks the same
// numbers, and named exactly as in C so they can be looked up.

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;

export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;

export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_BINDTODEVICE = 25;
/** Receive timestamps as struct timespec (CLOCK_REALTIME), in an SCM_TIMESTAMPNS message of the same number. */
export const SO_TIMESTAMPNS = 35;
export const SO_RCVBUFFORCE = 33;

export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_VRRP = 112;
/** IPsec Authentication Header, which carries VRRPv2 adverts under keepalived's auth_type AH. */
export const IPPROTO_AH = 51;

export const IP_TTL = 2;
export const IP_HDRINCL = 3;
export const IP_PKTINFO = 8;
export const IP_RECVTTL = 12;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_DROP_MEMBERSHIP = 36;
export const IP_MULTICAST_ALL = 49;

export const IPV6_CHECKSUM = 7;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_JOIN_GROUP = 20;
export const IPV6_LEAVE_GROUP = 21;
export const IPV6_MULTICAST_ALL = 29;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_PKTINFO = 50;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;

/** Level IPPROTO_ICMPV6: struct icmp6_filter, a bitmap of ICMPv6 types to block. */
export const ICMP6_FILTER = 1;

export const SOL_NETLINK = 270;
export const NETLINK_ROUTE = 0;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_DROP_MEMBERSHIP = 2;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;

export const MSG_CTRUNC = 0x08;
export const MSG_TRUNC = 0x20;

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
