# The HA pair of keepalive's Pulumi example, in plain HCL: two load balancers (lb1, lb2) sharing a VIP
# through VRRP group 51 (lb1 master at priority 200, lb2 backup at 150), a virtual server on the VIP's
# port 80 and one real server behind it. Every site value is a variable (see README.md).
terraform {
  required_providers {
    keepalive = { source = "keepalive/keepalive" }
  }
}

variable "lb1_address" {
  type        = string
  description = "lb1's address, reached over SSH."
}
variable "lb2_address" {
  type        = string
  description = "lb2's address, reached over SSH."
}
variable "lb1_host_key" {
  type        = string
  description = "lb1's SSH host key, as ssh-keyscan -t ed25519 prints it (checked out of band)."
}
variable "lb2_host_key" {
  type        = string
  description = "lb2's SSH host key, as ssh-keyscan -t ed25519 prints it (checked out of band)."
}
variable "ssh_user" {
  type        = string
  default     = "root"
  description = "The SSH user on both load balancers."
}
variable "service_manager" {
  type        = string
  default     = "systemd"
  description = "How the runtime is run on both load balancers: systemd, or none (a pid file)."
}
variable "private_key" {
  type        = string
  sensitive   = true
  description = "The SSH private key (OpenSSH or PEM, unencrypted) both load balancers let in."
}
variable "interface" {
  type        = string
  description = "The interface the VIP goes on, on both load balancers."
}
variable "vip" {
  type        = string
  description = "The virtual IP, with its prefix length: 198.18.0.100/24."
}
variable "lb2_priority" {
  type        = number
  default     = 150
  description = "lb2's VRRP priority (lb1 has 200): above 200, lb2 becomes master."
}
variable "real_server_address" {
  type        = string
  description = "The real server's address."
}
variable "real_server_port" {
  type        = number
  default     = 80
  description = "The real server's port."
}

# lb1 and lb2, each with its address and pinned host key.
resource "keepalive_host" "lb" {
  for_each = {
    lb1 = { address = var.lb1_address, host_key = var.lb1_host_key }
    lb2 = { address = var.lb2_address, host_key = var.lb2_host_key }
  }
  name            = each.key
  address         = each.value.address
  user            = var.ssh_user
  private_key     = var.private_key
  host_key        = each.value.host_key
  service_manager = var.service_manager
}

resource "keepalive_vrrp_group" "vip" {
  name        = "vip"
  vrid        = 51
  interface   = var.interface
  virtual_ips = [var.vip]
  members = [
    { host = keepalive_host.lb["lb1"].host_connection, priority = 200 },
    { host = keepalive_host.lb["lb2"].host_connection, priority = var.lb2_priority },
  ]
}

resource "keepalive_virtual_server" "web" {
  name      = "web"
  address   = split("/", var.vip)[0]
  port      = 80
  protocol  = "TCP"
  scheduler = "rr"
  method    = "NAT"
  directors = [keepalive_host.lb["lb1"].host_connection, keepalive_host.lb["lb2"].host_connection]
  health_check = {
    kind = "TCP_CHECK"
  }
}

resource "keepalive_real_server" "app1" {
  name           = "app1"
  virtual_server = keepalive_virtual_server.web.ref
  address        = var.real_server_address
  port           = var.real_server_port
}

output "expected_master" {
  value       = keepalive_vrrp_group.vip.expected_master
  description = "The host the plan says holds the VIP."
}
